/* global ol, MapWidget */
// Starts GeoDjango's MapWidget for every orgs map widget (orgs/widgets.py):
// those on the page when it loads and those in inline rows added later.
'use strict';
{
    // The site's own vector basemap (orgs/basemap/), the colours of
    // frontend/static/frontend/basemap.js; a raster layer only when the
    // operator set MAP_TILES_URL.
    const WATER = '#c9dde8';
    const LAND = '#f2efe9';
    const BORDER = '#7b6f8a';
    const LABEL = '#1f2933';

    function labelOf(feature, lang) {
        const order = lang === 'en' ? ['name:en', 'name'] : lang === 'uk' ? ['name:uk', 'name:ru', 'name'] : ['name:ru', 'name'];
        for (const key of order) {
            const value = feature.get(key);
            if (typeof value === 'string' && value) {
                return value;
            }
        }
        return '';
    }

    function basemapStyle(lang) {
        const earth = new ol.style.Style({fill: new ol.style.Fill({color: LAND})});
        const water = new ol.style.Style({fill: new ol.style.Fill({color: WATER})});
        const border = new ol.style.Style({stroke: new ol.style.Stroke({color: BORDER, width: 1.2})});
        return function (feature) {
            const layer = feature.get('layer');
            if (layer === 'earth') {
                return earth;
            }
            if (layer === 'water') {
                return water;
            }
            if (layer === 'boundaries' && feature.get('kind') === 'country') {
                return border;
            }
            if (layer === 'places' && feature.get('kind') === 'locality') {
                const population = feature.get('population') || 0;
                return new ol.style.Style({
                    text: new ol.style.Text({
                        text: labelOf(feature, lang),
                        font: (population >= 300000 ? '600 ' : '') + (population >= 1000000 ? 15 : 13) + 'px sans-serif',
                        fill: new ol.style.Fill({color: LABEL}),
                        stroke: new ol.style.Stroke({color: '#ffffff', width: 3})
                    }),
                    // Bigger towns win when labels would overlap.
                    zIndex: population
                });
            }
            return null;
        };
    }

    function baseLayer(options) {
        if (options.tiles_url || !options.basemap) {
            return new ol.layer.Tile({
                source: new ol.source.XYZ({
                    url: options.tiles_url,
                    attributions: options.tiles_attribution,
                    maxZoom: 19
                })
            });
        }
        const basemap = options.basemap;
        return new ol.layer.VectorTile({
            declutter: true,
            background: WATER,
            source: new ol.source.VectorTile({
                format: new ol.format.MVT(),
                url: basemap.tiles,
                attributions: basemap.attribution,
                // The tiles are made to be drawn at 512 pixels (as protomaps-leaflet does).
                tileGrid: ol.tilegrid.createXYZ({tileSize: 512, maxZoom: basemap.maxDataZoom})
            }),
            style: basemapStyle(basemap.lang)
        });
    }

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
            base_layer: baseLayer(options),
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
