/* global ol, MapWidget */
// Starts GeoDjango's MapWidget for every orgs map widget (orgs/widgets.py):
// those on the page when it loads and those in inline rows added later.
'use strict';
{
    function start(wrapper) {
        // The hidden template row of an inline: its copies are started when
        // added. A map in a collapsed fieldset is started when it opens: a map
        // drawn into a box of no size stays blank.
        if (wrapper.closest('.empty-form, details:not([open])') || wrapper.dataset.mapStarted) {
            return;
        }
        const options = JSON.parse(wrapper.dataset.mapOptions);
        const textarea = wrapper.querySelector('textarea.vSerializedField');
        const target = wrapper.querySelector('.dj_map');
        target.replaceChildren();
        wrapper.dataset.mapStarted = 'true';
        new MapWidget({
            base_layer: new ol.layer.Tile({
                source: new ol.source.XYZ({
                    url: options.tiles_url,
                    attributions: options.tiles_attribution,
                    maxZoom: 19
                })
            }),
            geom_name: options.geom_name,
            // Read from the DOM, not the options: in an added inline row they
            // carry the row's index, which the server could not know.
            id: textarea.id,
            map_id: target.id,
            map_srid: options.map_srid,
            name: textarea.name,
            default_lon: options.default_lon,
            default_lat: options.default_lat,
            default_zoom: options.default_zoom
        });
    }

    function startAll(root) {
        root.querySelectorAll('.dj_map_wrapper[data-map-options]').forEach(start);
    }

    document.addEventListener('DOMContentLoaded', () => startAll(document));
    document.addEventListener('formset:added', (event) => startAll(event.target));
    // "toggle" does not bubble: listen in the capture phase.
    document.addEventListener('toggle', (event) => {
        if (event.target.open) {
            startAll(event.target);
        }
    }, true);
}
