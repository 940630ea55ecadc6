"""Mutation check of the safety code: plant each bug alone, run the tests that should catch it.

    .venv/bin/python scripts/mutants.py [N ...]      (inside ./dev's environment: DATABASE_URL set)

Works on a throw-away git worktree of HEAD (commit first), so the checkout is
never touched. Every bug must be CAUGHT; a MISSED one needs a test. The list
started from an outside review's forty planted bugs (issue 13, part 6).
"""

# ruff: noqa: S603, S607, E501, SIM115 - a developer tool: fixed commands, long literal code lines
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTEST = os.path.join(ROOT, ".venv", "bin", "pytest")
M = [
    ("orgs/geo.py", "CITY_SNAP_M = 30_000", "CITY_SNAP_M = 30_000_000", "tests/test_safety_rules_pinned.py"),
    (
        "orgs/geo.py",
        "    return blurred(point, location.blur_seed, 5 * settings.LOCATION_BLUR_M)",
        "    return point",
        "tests/test_safety_rules_pinned.py",
    ),
    (
        "orgs/geo.py",
        "rng.uniform(radius_m / 2, radius_m)",
        "rng.uniform(0, radius_m)",
        "tests/test_safety_rules_pinned.py",
    ),
    (
        "orgs/geo.py",
        "PROTECTED_DISTANCE_STEP_M = 1000",
        "PROTECTED_DISTANCE_STEP_M = 1",
        "tests/test_safety_rules_pinned.py",
    ),
    (
        "orgs/search/nearest.py",
        "'address', CASE WHEN l.visibility = 'exact' THEN l.address ELSE '' END",
        "'address', l.address",
        "tests/test_nearest_json.py tests/test_protected_locations.py",
    ),
    (
        "orgs/search/nearest.py",
        "round(ST_Y(l.public_point::geometry)",
        "round(ST_Y(l.point::geometry)",
        "tests/test_nearest_json.py tests/test_protected_locations.py",
    ),
    (
        "orgs/permissions.py",
        "user.groups.filter(name=MODERATORS_GROUP).exists()",
        "user.groups.exists()",
        "tests/test_coordinator_scope.py",
    ),
    (
        "orgs/permissions.py",
        """    if not (user.is_authenticated and user.is_active):
        return False
    if is_moderator(user):
        return True
    return m.OrganisationAccess""",
        """    if not user.is_authenticated:
        return False
    if is_moderator(user):
        return True
    return m.OrganisationAccess""",
        "tests/test_coordinator_scope.py",
    ),
    (
        "orgs/permissions.py",
        """def coordinated_network_ids(user: User) -> set[int]:
    if not (user.is_authenticated and user.is_active):""",
        """def coordinated_network_ids(user: User) -> set[int]:
    if not user.is_authenticated:""",
        "tests/test_coordinator_scope.py",
    ),
    (
        "orgs/permissions.py",
        """def is_moderator(user: User) -> bool:
    \"\"\"A site moderator or an admin.\"\"\"
    if not (user.is_authenticated and user.is_active):""",
        """def is_moderator(user: User) -> bool:
    \"\"\"A site moderator or an admin.\"\"\"
    if not user.is_authenticated:""",
        "tests/test_coordinator_scope.py",
    ),
    (
        "orgs/permissions.py",
        "return is_moderator(user) or membership.network_id in coordinated_network_ids(user)",
        "return is_moderator(user) or can_moderate_organisation(user, membership.organisation)",
        "tests/test_coordinator_scope.py",
    ),
    (
        "orgs/permissions.py",
        "_coordinator_membership(user, organisation, (m.MembershipStatus.ACTIVE,))",
        "_coordinator_membership(user, organisation, REVIEWABLE_MEMBERSHIP)",
        "tests/test_coordinator_scope.py",
    ),
    (
        "orgs/permissions.py",
        "REVIEWABLE_MEMBERSHIP = (m.MembershipStatus.APPLIED, m.MembershipStatus.ACTIVE)",
        "REVIEWABLE_MEMBERSHIP = tuple(m.MembershipStatus.values)",
        "tests/test_coordinator_scope.py",
    ),
    (
        "orgs/moderation.py",
        ", organisation__status=m.PublicationStatus.PENDING)",
        ")",
        "tests/test_coordinator_scope.py",
    ),
    (
        "orgs/permissions.py",
        "return organisation.status == m.PublicationStatus.PENDING and _coordinator_membership(",
        "return _coordinator_membership(",
        "tests/test_coordinator_scope.py",
    ),
    (
        "orgs/services/membership.py",
        "if not network.candidate_term_days or m.MembershipRole.CANDIDATE not in network.roles:",
        "if not network.candidate_term_days:",
        "tests/test_safety_rules_pinned.py",
    ),
    (
        "orgs/services/locations.py",
        'GATED_LOCATION_FIELDS = ("point", "address", "city", "region", "country", "visibility", "kind")',
        'GATED_LOCATION_FIELDS = ("point", "address", "city", "region", "country", "kind")',
        "tests/test_registration_races.py",
    ),
    (
        "orgs/services/editing.py",
        'for number in ("ogrn", "inn"):',
        'for number in ("ogrn",):',
        "tests/test_registration_races.py",
    ),
    (
        "orgs/services/registration.py",
        '    xact_lock("organisation_register", str(user.pk))\n',
        "",
        "tests/test_registration_races.py",
    ),
    (
        "orgs/duplicates.py",
        "        if self.inn:\n",
        "        if self.inn and self.ogrn:\n",
        "tests/test_duplicate_check_leaks_nothing.py",
    ),
    (
        "orgs/duplicates.py",
        'near = (_near(points, "public_point")',
        'near = (_near(points, "point")',
        "tests/test_duplicate_check_leaks_nothing.py",
    ),
    (
        "orgs/duplicates.py",
        "    return Q(status=m.PublicationStatus.PUBLISHED) | mine",
        "    return Q()",
        "tests/test_duplicate_check_leaks_nothing.py",
    ),
    (
        "orgs/duplicates.py",
        "& Q(status=m.PublicationStatus.PUBLISHED)) | (",
        ") | (",
        "tests/test_duplicate_check_leaks_nothing.py",
    ),
    (
        "orgs/press/experts.py",
        '    invitation.save(update_fields=["status", "responded_at", "updated_at"])\n    req.invitations.filter(status=m.InvitationStatus.SENT).update(status=m.InvitationStatus.CANCELLED)\n',
        '    invitation.save(update_fields=["status", "responded_at", "updated_at"])\n',
        "tests/test_safety_rules_pinned.py tests/test_press_flow.py",
    ),
    (
        "orgs/press/experts.py",
        " or invitation.request.status not in OPEN_STATUSES",
        "",
        "tests/test_safety_rules_pinned.py tests/test_press_flow.py",
    ),
]
env = dict(os.environ, TEST_DATABASE_NAME="test_helplocator_mutants", DJANGO_SETTINGS_MODULE="locator.settings")
env.setdefault("DJANGO_DEBUG", "true")
tree = tempfile.mkdtemp(prefix="mutants-")
subprocess.run(["git", "worktree", "add", "-q", "--detach", tree, "HEAD"], cwd=ROOT, check=True)
only = [int(a) for a in sys.argv[1:]]
caught = 0
for i, (path, old, new, tests) in enumerate(M):
    if only and i not in only:
        continue
    full = os.path.join(tree, path)
    src = open(full).read()
    if src.count(old) != 1:
        print(i, "NOT APPLICABLE", path, old[:50])
        continue
    open(full, "w").write(src.replace(old, new))
    try:
        r = subprocess.run(
            [PYTEST, "-p", "no:cacheprovider", "-q", "-x", *tests.split()],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        open(full, "w").write(src)
    summary = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
    # Caught means a test failed; an error (a broken import, a fixture) proves nothing.
    ok = r.returncode == 1 and " failed" in summary and " error" not in summary
    caught += ok
    print(
        i,
        "CAUGHT" if ok else "MISSED",
        path,
        repr(old[:60]),
        r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "",
        flush=True,
    )
subprocess.run(["git", "worktree", "remove", "--force", tree], cwd=ROOT, check=False)
total = len(only) or len(M)
print("caught", caught, "of", total)
sys.exit(0 if caught == total else 1)
