"""At most one report per interval, the last one always up to date.

A room reports what changes in bursts (answers arriving, students joining) to every screen
and student; reporting each change would make a burst of N changes cost O(N) broadcasts of
O(N) payloads. A Throttle runs its action on the first request of a burst (on the next tick)
and folds every request inside the interval into one run at its end. The action reads the
room when it runs, so the last report always shows the latest state.
"""

from __future__ import annotations

from collections.abc import Callable

from rooms.clock import Cancellable, Clock, Scheduler


class Throttle:
    def __init__(self, interval_ms: int | Callable[[], int], action: Callable[[], None], *,
                 clock: Clock, scheduler: Scheduler) -> None:
        # A callable interval is read at each request: a report that grows with the room can
        # space itself out as the room fills.
        self._interval_ms = interval_ms if callable(interval_ms) else (lambda: interval_ms)
        self._action = action
        self._clock = clock
        self._scheduler = scheduler
        self._timer: Cancellable | None = None
        self._last_ms: int | None = None

    @property
    def pending(self) -> bool:
        return self._timer is not None

    def request(self) -> None:
        if self._timer is not None:
            return
        now = self._clock.monotonic_ms()
        due = 0 if self._last_ms is None else self._last_ms + self._interval_ms() - now
        self._timer = self._scheduler.call_later(max(0, due), self._run)

    def flush(self) -> None:
        """Run a pending report now: what must precede a transition is sent before it."""
        if self._timer is not None:
            self._timer.cancel()
            self._run()

    def cancel(self) -> None:
        """Drop a pending report and start afresh: the next request reports at once."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._last_ms = None

    def _run(self) -> None:
        self._timer = None
        self._last_ms = self._clock.monotonic_ms()
        self._action()
