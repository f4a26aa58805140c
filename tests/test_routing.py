"""Declared routing (`drift.core.routing`) and undeclared path templating (`drift.core.templating`)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drift.core.routing import Route, Router, split_path
from drift.core.templating import PathTemplater, classify_segment


def router(*templates: str, base_paths: tuple[str, ...] = ()) -> Router[str]:
    """A router where every template declares GET and targets itself."""
    return Router([("GET", t, t) for t in templates], base_paths)


def matched(r: Router[str], path: str, method: str = "GET") -> str | None:
    route = r.match(method, path)
    return None if route is None else route.template


# --- splitting -----------------------------------------------------------------------------------


def test_split_path_ignores_trailing_slashes_and_keeps_inner_empty_segments() -> None:
    assert ["a", "", "b"] == split_path("/a//b/")


def test_split_path_of_root_is_empty() -> None:
    assert [] == split_path("/")


# --- literal vs templated ------------------------------------------------------------------------


def test_literal_segment_wins_over_parameter() -> None:
    r = router("/users/{id}", "/users/me")
    assert "/users/me" == matched(r, "/users/me")


def test_parameter_matches_other_values() -> None:
    r = router("/users/{id}", "/users/me")
    assert "/users/{id}" == matched(r, "/users/42")


def test_literal_wins_at_deeper_levels() -> None:
    r = router("/a/{x}/{y}", "/a/{x}/c")
    assert "/a/{x}/c" == matched(r, "/a/1/c")


def test_backtracks_to_parameter_when_literal_branch_fails_deeper() -> None:
    r = router("/a/b/d", "/a/{x}/c")
    assert "/a/{x}/c" == matched(r, "/a/b/c")


def test_backtracks_through_several_levels() -> None:
    r = router("/a/b/c/d", "/a/b/{x}/e", "/a/{y}/c/e")
    assert "/a/b/{x}/e" == matched(r, "/a/b/c/e")


def test_no_declared_template_matches_returns_none() -> None:
    r = router("/users/{id}")
    assert None is r.match("GET", "/orders/1")


def test_path_longer_than_any_template_returns_none() -> None:
    r = router("/users/{id}")
    assert None is r.match("GET", "/users/1/extra")


def test_root_template_matches_root_path() -> None:
    r = router("/", "/users")
    assert "/" == matched(r, "/")


def test_parameter_does_not_match_empty_inner_segment() -> None:
    r = router("/users/{id}/repos")
    assert None is r.match("GET", "/users//repos")


def test_empty_inner_segment_matches_declared_double_slash() -> None:
    r = router("/a//b")
    assert "/a//b" == matched(r, "/a//b")


# --- mixed segments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "path"),
    [
        ("/reports/{id}.json", "/reports/7.json"),
        ("/api/v{version}/status", "/api/v2/status"),
        ("/ranges/{a}-{b}", "/ranges/1-9"),
        ("/files/{name}.{ext}", "/files/report.pdf"),
    ],
)
def test_mixed_segment_matches(template: str, path: str) -> None:
    assert template == matched(router(template), path)


def test_mixed_segment_parameter_needs_at_least_one_character() -> None:
    assert None is router("/reports/{id}.json").match("GET", "/reports/.json")


def test_mixed_segment_must_match_whole_segment() -> None:
    assert None is router("/reports/{id}.json").match("GET", "/reports/7.json.bak")


FILE_TEMPLATES = ("/files/{name}", "/files/{name}.{ext}", "/files/{name}.json", "/files/a.json")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/files/a.json", "/files/a.json"),  # literal first
        ("/files/b.json", "/files/{name}.json"),  # then most literal characters
        ("/files/b.txt", "/files/{name}.{ext}"),
        ("/files/b", "/files/{name}"),  # whole parameter last
    ],
)
def test_preference_literal_then_mixed_by_literal_length_then_parameter(
    path: str, expected: str
) -> None:
    assert expected == matched(router(*FILE_TEMPLATES), path)


def test_backtracks_from_mixed_segment_to_parameter() -> None:
    r = router("/x/{id}.json/meta", "/x/{any}/data")
    assert "/x/{any}/data" == matched(r, "/x/1.json/data")


# --- methods -------------------------------------------------------------------------------------

USERS = Router(
    [
        ("GET", "/users/me", "get-me"),
        ("GET", "/users/{id}", "get-user"),
        ("DELETE", "/users/{id}", "delete-user"),
        ("HEAD", "/users/{id}", "head-user"),
    ]
)


def test_method_declared_on_best_path_match() -> None:
    assert Route("/users/me", "GET", "get-me") == USERS.match("GET", "/users/me")


def test_method_only_on_less_specific_template_routes_there() -> None:
    assert Route("/users/{id}", "DELETE", "delete-user") == USERS.match("DELETE", "/users/me")


def test_method_declared_nowhere_returns_best_path_match_without_target() -> None:
    assert Route("/users/me", None, None) == USERS.match("POST", "/users/me")


def test_methods_compare_case_insensitively() -> None:
    r = Router([("get", "/pets", 1)])
    assert Route("/pets", "GET", 1) == r.match("gEt", "/pets")


def test_head_falls_back_to_get_target_when_head_not_declared() -> None:
    assert Route("/users/me", "HEAD", "get-me") == USERS.match("HEAD", "/users/me")


def test_head_uses_declared_head_target() -> None:
    assert Route("/users/{id}", "HEAD", "head-user") == USERS.match("HEAD", "/users/9")


def test_head_does_not_fall_back_to_other_methods() -> None:
    r = Router([("POST", "/pets", 1)])
    assert Route("/pets", None, None) == r.match("HEAD", "/pets")


def test_get_does_not_fall_back_to_head() -> None:
    r = Router([("HEAD", "/pets", 1)])
    assert Route("/pets", None, None) == r.match("GET", "/pets")


def test_first_registration_of_same_method_and_template_wins() -> None:
    r = Router([("GET", "/pets", 1), ("GET", "/pets", 2)])
    assert Route("/pets", "GET", 1) == r.match("GET", "/pets")


def test_same_shape_with_other_parameter_names_keeps_each_declared_template() -> None:
    r = Router([("GET", "/users/{id}", 1), ("DELETE", "/users/{user_id}", 2)])
    assert Route("/users/{user_id}", "DELETE", 2) == r.match("DELETE", "/users/3")


# --- trailing slash and percent-decoding ---------------------------------------------------------


def test_trailing_slash_in_path_is_ignored() -> None:
    assert "/pets" == matched(router("/pets"), "/pets/")


def test_trailing_slash_in_template_is_ignored() -> None:
    assert "/pets/" == matched(router("/pets/"), "/pets")


def test_templates_differing_by_trailing_slash_are_one_path_first_wins() -> None:
    r = Router([("GET", "/pets/", 1), ("GET", "/pets", 2)])
    assert Route("/pets/", "GET", 1) == r.match("GET", "/pets")


def test_templates_differing_by_trailing_slash_keep_their_own_methods() -> None:
    r = Router([("GET", "/pets/", 1), ("POST", "/pets", 2)])
    assert Route("/pets", "POST", 2) == r.match("POST", "/pets/")


def test_percent_encoded_segment_matches_decoded_literal() -> None:
    assert "/files/a b" == matched(router("/files/{name}", "/files/a b"), "/files/a%20b")


def test_percent_encoded_letters_match_literal() -> None:
    assert "/users/me" == matched(router("/users/{id}", "/users/me"), "/users/%6De")


def test_encoded_slash_stays_inside_one_segment() -> None:
    assert "/files/{name}" == matched(router("/files/{name}", "/files/a/b"), "/files/a%2Fb")


# --- base paths ----------------------------------------------------------------------------------


def test_base_path_present_in_traffic_is_stripped() -> None:
    assert "/pets" == matched(router("/pets", base_paths=("/v1",)), "/v1/pets")


def test_base_path_absent_from_traffic_still_matches() -> None:
    assert "/pets" == matched(router("/pets", base_paths=("/v1",)), "/pets")


def test_base_path_strips_only_at_segment_boundary() -> None:
    assert None is router("/pets", "/0/pets", base_paths=("/v1",)).match("GET", "/v10/pets")


def test_longest_base_path_is_stripped_first() -> None:
    r = router("/v3/pets", "/pets", base_paths=("/api", "/api/v3"))
    assert "/pets" == matched(r, "/api/v3/pets")


def test_unstripped_path_is_tried_when_stripped_path_does_not_match() -> None:
    r = router("/v1/status", "/pets", base_paths=("/v1",))
    assert "/v1/status" == matched(r, "/v1/status")


def test_method_on_unstripped_match_beats_stripped_match_without_method() -> None:
    r = Router([("POST", "/status", 1), ("GET", "/v1/status", 2)], ["/v1"])
    assert Route("/v1/status", "GET", 2) == r.match("GET", "/v1/status")


def test_base_path_with_trailing_slash_and_percent_encoded_traffic() -> None:
    assert "/pets" == matched(router("/pets", base_paths=("/api v1/",)), "/api%20v1/pets")


@pytest.mark.parametrize("base", ["", "/"])
def test_empty_base_paths_strip_nothing(base: str) -> None:
    assert "/pets" == matched(router("/pets", base_paths=(base,)), "/pets")


def test_base_path_server_variable_matches_any_segment() -> None:
    assert "/pets" == matched(router("/pets", base_paths=("/{version}",)), "/v7/pets")


# --- scaling (counts trie work; times nothing) ---------------------------------------------------


def rest_templates(resources: int) -> list[str]:
    templates = []
    for i in range(resources):
        r = f"/resource{i}"
        templates += [
            r,
            f"{r}/me",
            f"{r}/{{id}}",
            f"{r}/{{id}}/items",
            f"{r}/{{id}}/items/{{item}}",
        ]
    return templates


LOOKUPS = [
    "/resource0",
    "/resource0/me",
    "/resource0/5",
    "/resource0/5/items/6",
    "/resource0/5/nope",
    "/missing/1",
]


def visits(r: Router[str], paths: list[str]) -> list[int]:
    counts = []
    for path in paths:
        before = r.node_visits
        r.match("GET", path)
        counts.append(r.node_visits - before)
    return counts


def test_lookup_work_is_independent_of_number_of_templates() -> None:
    small, large = router(*rest_templates(1)), router(*rest_templates(160))  # 5 vs 800
    assert visits(small, LOOKUPS) == visits(large, LOOKUPS)


def test_lookup_work_is_bounded_by_path_depth_for_large_contract() -> None:
    large = router(*rest_templates(160))
    # root + one node per segment on the matching branch; the failed one stops below {id}
    assert [2, 3, 3, 5, 3, 1] == visits(large, LOOKUPS)


# --- property: a concrete path routes back to its template ---------------------------------------

WORDS = st.text(alphabet="abcdefgh", min_size=1, max_size=3)
SEGMENT_SHAPES = st.sampled_from(["{p}", "{p}.json", "v{p}", "{p}-{q}", "literal"])


@st.composite
def templates_and_paths(draw: st.DrawFn) -> tuple[list[str], list[tuple[str, str]]]:
    shapes = draw(st.lists(st.lists(SEGMENT_SHAPES, max_size=4), min_size=1, max_size=12))
    templates: dict[str, str] = {}  # shape key -> template; one template per shape
    for shape in shapes:
        segments = [draw(WORDS) if s == "literal" else s for s in shape]
        template = "/" + "/".join(segments)
        templates.setdefault(re.sub(r"\{[a-z]\}", "{}", template), template)
    cases = []
    for template in templates.values():
        path = re.sub(r"\{[a-z]\}", lambda _m: str(draw(st.integers(0, 999))), template)
        if draw(st.booleans()):  # percent-encode some characters (never the `/` separators)
            path = "".join(
                f"%{ord(c):02X}" if c != "/" and draw(st.booleans()) else c for c in path
            )
        if draw(st.booleans()):
            path += "/"
        cases.append((template, path))
    return list(templates.values()), cases


@settings(max_examples=300, deadline=None)
@given(templates_and_paths())
def test_concrete_path_routes_to_the_template_it_was_built_from(
    data: tuple[list[str], list[tuple[str, str]]],
) -> None:
    templates, cases = data
    r = router(*templates)
    assert [t for t, _p in cases] == [matched(r, p) for _t, p in cases]


# --- templating: value classes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("123", "id"),
        ("-5", "id"),
        ("550e8400-e29b-41d4-a716-446655440000", "uuid"),
        ("550E8400-E29B-11D4-A716-446655440000", "uuid"),
        ("01ARZ3NDEKTSV4RRFFQ69G5FAV", "ulid"),
        ("01arz3ndektsv4rrffq69g5fav", "ulid"),
        ("507f1f77bcf86cd799439011", "hex"),  # object id, 24 hex
        ("da39a3ee5e6b4b0d3255bfef95601890afd80709", "hex"),  # sha1
        ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "hex"),
        ("alice@example.com", "email"),
        ("alice%40example.com", "email"),
        ("2024-01-31", "date"),
        ("dGhpcy1pcy1hLXRva2VuLTEyMzQ1Ng", "token"),
        ("Xk9_qR2-vL7mN4pT8wZ1yB6cD3", "token"),
    ],
)
def test_value_segments_are_classified(segment: str, expected: str) -> None:
    assert expected == classify_segment(segment)


@pytest.mark.parametrize(
    "segment",
    [
        "health",
        "v2",
        "orders",
        "api",
        "me",
        "deadbeefcafebabe",  # hex letters only: a word, not an id
        "abc123",  # short mix of letters and digits
        "2024-13-01",  # no month 13
        "quarterly-report-2024-final-edition",  # slug of words
        "ULIDLOOKINGBUTSTARTSWITHZZ",  # 26 letters, not a ULID (no leading 0-7)
        "a@b",  # no domain dot
    ],
)
def test_words_are_not_values(segment: str) -> None:
    assert None is classify_segment(segment)


@pytest.mark.parametrize("path", ["/health", "/v2/orders", "/api/items", "/"])
def test_literal_words_stay_literal(path: str) -> None:
    t = PathTemplater()
    t.add(path)
    assert path == t.template(path)


def test_values_become_named_parameters_immediately() -> None:
    path = "/users/alice@example.com/events/2024-01-31/01ARZ3NDEKTSV4RRFFQ69G5FAV"
    assert "/users/{email}/events/{date}/{ulid}" == PathTemplater().template(path)


def test_repeated_parameter_names_get_numeric_suffixes() -> None:
    t = PathTemplater()
    assert "/orgs/{id}/members/{id2}/teams/{id3}" == t.template("/orgs/1/members/2/teams/3")


def test_trailing_slash_does_not_change_template() -> None:
    assert "/orders/{id}" == PathTemplater().template("/orders/5/")


# --- templating: high cardinality ----------------------------------------------------------------


def add_all(t: PathTemplater, paths: list[str]) -> None:
    for path in paths:
        t.add(path)


NAMES = [f"user{chr(97 + i)}" for i in range(26)]  # words: usera, userb, …


def test_position_with_max_literals_distinct_words_stays_literal() -> None:
    t = PathTemplater(max_literals=20)
    add_all(t, [f"/users/{n}/repos" for n in NAMES[:20]])
    assert "/users/usera/repos" == t.template("/users/usera/repos")


def test_position_with_more_than_max_literals_words_becomes_parameter() -> None:
    t = PathTemplater(max_literals=20)
    add_all(t, [f"/users/{n}/repos" for n in NAMES[:21]])
    assert ["/users/{param}/repos"] * 21 == [t.template(f"/users/{n}/repos") for n in NAMES[:21]]


def test_collapse_is_consistent_for_paths_added_before_it() -> None:
    t = PathTemplater(max_literals=2)
    add_all(t, ["/users/alice/repos", "/users/bob/repos", "/users/carol/keys"])
    assert "/users/{param}/repos" == t.template("/users/alice/repos")


def test_collapsed_position_applies_to_paths_never_added() -> None:
    t = PathTemplater(max_literals=2)
    add_all(t, ["/users/alice", "/users/bob", "/users/carol"])
    assert "/users/{param}/settings" == t.template("/users/zed/settings")


def test_collapse_merges_subtrees_of_all_children() -> None:
    t = PathTemplater(max_literals=3)
    add_all(t, ["/users/alice/repos/settings", "/users/bob/keys", "/users/carol/gists"])
    t.add("/users/dave/keys")  # 4th user: collapse; merged children: repos, keys, gists
    expected = ["/users/{param}/repos/settings", "/users/{param}/keys", "/users/{param}/gists"]
    assert expected == [
        t.template("/users/dave/repos/settings"),
        t.template("/users/erin/keys"),
        t.template("/users/frank/gists"),
    ]


def test_merging_subtrees_can_collapse_the_merged_position() -> None:
    t = PathTemplater(max_literals=3)
    add_all(t, [f"/users/u{c}x/s{c}x" for c in "abcd"])  # 4 users, each a distinct child
    assert "/users/{param}/{param2}" == t.template("/users/uax/sax")


def test_merged_subtrees_over_the_limit_collapse_even_without_further_adds() -> None:
    t = PathTemplater(max_literals=3)
    add_all(t, ["/users/u/a", "/users/u/b", "/users/v/c", "/users/v/d", "/users/w/e"])
    t.add("/users/x")  # collapses /users/*; the merged children a…e exceed the limit
    assert "/users/{param}/{param2}" == t.template("/users/u/a")


def test_merging_value_children_of_the_same_class_merges_their_subtrees() -> None:
    t = PathTemplater(max_literals=2)
    add_all(t, ["/users/alice/7/x", "/users/alice/7/z", "/users/bob/8/y", "/users/carol"])
    assert "/users/{param}/{id}/{param2}" == t.template("/users/alice/7/x")


def test_merging_two_collapsed_children_merges_their_parameter_subtrees() -> None:
    t = PathTemplater(max_literals=2)
    add_all(t, ["/a/x/p1/d1", "/a/x/p2/d1", "/a/x/p3/d1"])  # /a/x/* collapses
    add_all(t, ["/a/y/q1/d2", "/a/y/q2/d3", "/a/y/q3/d3"])  # /a/y/* collapses
    t.add("/a/z")  # /a/* collapses: d1, d2, d3 meet under one parameter
    assert "/a/{param}/{param2}/{param3}" == t.template("/a/x/p1/d1")


def test_collapsed_children_under_merged_collapsed_node_stay_collapsed() -> None:
    t = PathTemplater(max_literals=2)
    add_all(t, ["/a/x/p", "/a/x/q", "/a/x/r", "/a/y/s", "/a/z/t"])  # /a/x/* collapses first
    assert "/a/{param}/{param2}" == t.template("/a/y/s")


def test_values_under_a_collapsed_position_keep_their_class() -> None:
    t = PathTemplater(max_literals=1)
    add_all(t, ["/users/alice/7", "/users/bob/8"])
    assert "/users/{param}/{id}" == t.template("/users/alice/7")


def test_collapsed_position_keeps_no_per_literal_children() -> None:
    t = PathTemplater(max_literals=20)
    add_all(t, [f"/users/{n}/repos" for n in NAMES] + [f"/users/w{i}x/repos" for i in range(500)])
    assert 4 == t.node_count  # root, users, {param}, repos


# --- templating: node cap ------------------------------------------------------------------------


def test_node_count_never_exceeds_cap() -> None:
    t = PathTemplater(max_literals=1000, max_nodes=50)
    add_all(t, [f"/a{i}x/b{i}x" for i in range(100)])
    assert (50, True) == (t.node_count, t.saturated)


def test_unseen_words_become_parameters_beyond_cap() -> None:
    t = PathTemplater(max_nodes=3)
    add_all(t, ["/health/live", "/status"])
    assert "/{param}" == t.template("/status")


def test_paths_recorded_before_cap_keep_their_literals() -> None:
    t = PathTemplater(max_nodes=3)
    add_all(t, ["/health/live", "/status"])
    assert "/health/live" == t.template("/health/live")


def test_partially_recorded_path_templates_unrecorded_tail_as_parameters() -> None:
    t = PathTemplater(max_nodes=3)
    add_all(t, ["/health/live", "/health/ready/now"])
    assert "/health/{param}/{param2}" == t.template("/health/ready/now")


def test_unseen_words_stay_literal_below_cap() -> None:
    t = PathTemplater(max_nodes=100)
    t.add("/health")
    assert "/status" == t.template("/status")


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        PathTemplater(max_literals=0)


# --- templating: properties ----------------------------------------------------------------------

CONCRETE_SEGMENTS = st.one_of(
    st.sampled_from(["users", "repos", "items", "me", "v2"]),
    st.text(alphabet="abcdefghijklmnop", min_size=1, max_size=3),
    st.integers(-50, 10**9).map(str),
    st.sampled_from(["bob@example.com", "2024-02-29", "550e8400-e29b-41d4-a716-446655440000"]),
)
CONCRETE_PATHS = st.lists(CONCRETE_SEGMENTS, max_size=5).map(lambda s: "/" + "/".join(s))


@settings(max_examples=200, deadline=None)
@given(st.lists(CONCRETE_PATHS, max_size=60), st.integers(1, 4), st.integers(1, 40))
def test_templates_only_keep_words_and_stay_within_cap(
    paths: list[str], max_literals: int, max_nodes: int
) -> None:
    t = PathTemplater(max_literals=max_literals, max_nodes=max_nodes)
    add_all(t, paths)
    for path in paths:
        kept = [
            c for c, s in zip(split_path(t.template(path)), split_path(path), strict=True) if c == s
        ]
        assert [] == [c for c in kept if classify_segment(c) is not None]
    assert t.node_count <= max_nodes


@settings(max_examples=200, deadline=None)
@given(st.lists(CONCRETE_PATHS, max_size=60), st.integers(1, 4))
def test_template_is_the_same_whatever_order_paths_were_added_in_without_cap(
    paths: list[str], max_literals: int
) -> None:
    forward = PathTemplater(max_literals=max_literals)
    backward = PathTemplater(max_literals=max_literals)
    add_all(forward, paths)
    add_all(backward, list(reversed(paths)))
    assert [forward.template(p) for p in paths] == [backward.template(p) for p in paths]


def test_undeclared_method_on_trailing_slash_variants_reports_first_declared_template() -> None:
    r = Router([("GET", "/pets/", 1), ("POST", "/pets", 2)])
    assert Route("/pets/", None, None) == r.match("PATCH", "/pets")
