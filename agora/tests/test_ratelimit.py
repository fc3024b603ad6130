import time

from agora.ratelimit import hit


def test_allows_up_to_the_limit_then_refuses_with_a_retry_time():
    verdicts = [hit("test", "1.2.3.4", limit=3, period=60) for _ in range(5)]
    assert [v.allowed for v in verdicts] == [True, True, True, False, False]
    assert 0 < verdicts[-1].retry_after <= 60


def test_keys_and_scopes_are_counted_apart():
    for _ in range(3):
        hit("login", "a", limit=3, period=60)
    assert not hit("login", "a", limit=3, period=60).allowed
    assert hit("login", "b", limit=3, period=60).allowed
    assert hit("signup", "a", limit=3, period=60).allowed


def test_a_window_starts_at_the_first_hit_and_ends_a_period_later():
    assert hit("burst", "k", limit=1, period=1).allowed
    refused = hit("burst", "k", limit=1, period=1)
    assert not refused.allowed and refused.retry_after == 1
    time.sleep(1.05)
    assert hit("burst", "k", limit=1, period=1).allowed  # a new window, counted from this hit
    assert not hit("burst", "k", limit=1, period=1).allowed
