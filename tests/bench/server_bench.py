"""Benchmark of the outbound socket server against the stand-in switch, over real TCP.

The server (with an IVR-like handler) runs in this process; the stand-in switch runs in a second
process, each pinned to its own core when the machine allows, so they do not share one core.

Figures:
- calls_per_second: short IVR calls (answer, play, collect a key, set a variable, hang up)
  placed as fast as the switch can, `BURST_CONCURRENCY` at a time;
- concurrent_calls_held: IVR calls answered and held in a playback, all at once;
- rtt_p50_ms / rtt_p99_ms: one application round trip (sendmsg to its CHANNEL_EXECUTE_COMPLETE)
  measured in the handler while the held calls are open.

Run: .venv/bin/python -m tests.bench.server_bench
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import statistics
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import gevent
from gevent.pool import Pool
from gevent.socket import wait_read

from esl_handlers.esl_channel import EslChannel
from esl_handlers.outbound_server import OutboundServer
from ivr_scripts.channel import Audio, CallerHungUp
from tests.support.standin import CallScript, OutboundSwitch, ScriptedCall

BURST_CALLS = 3000
BURST_CONCURRENCY = 100
HELD_CALLS = 2000
RTT_CALLS = 50
RTT_COMMANDS_PER_CALL = 20
RTT_CONCURRENCY = 5
WELCOME = Audio("welcome", file="/sounds/welcome.wav")
MENU = Audio("menu", file="/sounds/menu.wav")


def raise_file_limit(wanted: int = 65536) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def pin_to_cpu(cpu: int) -> bool:
    cores = os.cpu_count() or 1
    if cores < 2 or not hasattr(os, "sched_setaffinity"):
        return False
    os.sched_setaffinity(0, {cpu % cores})
    return True


# -- the server side (this process) -------------------------------------------------------------


class IvrHandler:
    """Behaves by destination: "ivr" a short menu call, "hold" waits in a prompt, "rtt" times sets."""

    def __init__(self) -> None:
        self.round_trips: list[float] = []
        self.completed = 0

    def __call__(self, channel: EslChannel) -> None:
        try:
            kind = channel.info.destination
            channel.answer()
            if kind == "hold":
                channel.play(WELCOME)  # the switch holds this prompt until the caller hangs up
            elif kind == "rtt":
                for index in range(RTT_COMMANDS_PER_CALL):
                    started = time.perf_counter()
                    channel.set_variable("bench_step", str(index))
                    self.round_trips.append(time.perf_counter() - started)
            else:
                channel.play(WELCOME)
                digits = channel.collect_digits(MENU, max_digits=1, timeout=3, digit_timeout=1)
                channel.set_variable("menu_choice", digits)
            channel.hangup()
            self.completed += 1
        except CallerHungUp:
            pass


def ask(conn: Connection, message: tuple[Any, ...], timeout: float = 300.0) -> dict[str, float]:
    """Send a request to the switch process and wait for its answer without blocking the hub."""
    conn.send(message)
    with gevent.Timeout(timeout):
        wait_read(conn.fileno())
    answer: dict[str, float] = conn.recv()
    return answer


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run() -> dict[str, float]:
    files = raise_file_limit()
    pinned = pin_to_cpu(0)
    handler = IvrHandler()
    server = OutboundServer(handler, port=0, command_timeout=30.0, linger_timeout=30.0)
    server.start()
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    switch = context.Process(target=switch_process, args=(theirs, server.address), daemon=True)
    switch.start()
    try:
        ask(conn=ours, message=("ready",))
        cpu_before = cpu_seconds()
        burst = ask(ours, ("calls", BURST_CALLS, BURST_CONCURRENCY, {"destination": "ivr", "keys": ["1"]}))
        server_cpu = cpu_seconds() - cpu_before
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        held = ask(ours, ("hold", HELD_CALLS, {"destination": "hold", "media_seconds": 3600.0}))
        active_while_held = server.active_calls
        rss_held = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        ask(ours, ("calls", RTT_CALLS, RTT_CONCURRENCY, {"destination": "rtt"}))
        released = ask(ours, ("release",))
    finally:
        ours.send(("stop",))
        switch.join(10)
        server.stop(timeout=5)
    round_trips_ms = [value * 1000 for value in handler.round_trips]
    figures = {
        "calls_per_second": burst["ok"] / burst["elapsed"],
        "server_cpu_ms_per_call": 1000 * server_cpu / burst["placed"],
        "switch_cpu_ms_per_call": 1000 * burst["cpu"] / burst["placed"],
        "burst_calls": burst["placed"],
        "burst_failures": burst["placed"] - burst["ok"],
        "concurrent_calls_held": float(min(held["held"], active_while_held)),
        "hold_setup_seconds": held["elapsed"],
        "held_calls_released": released["released"],
        "server_rss_kib_per_held_call": max(0.0, (rss_held - rss_before) / max(1.0, held["held"])),
        "rtt_p50_ms": statistics.median(round_trips_ms),
        "rtt_p99_ms": percentile(round_trips_ms, 0.99),
        "rtt_samples": float(len(round_trips_ms)),
        "file_limit": float(files),
    }
    report(figures, pinned)
    return figures


def report(figures: dict[str, float], pinned: bool) -> None:
    where = (
        "server pinned to CPU 0, stand-in switch in its own process on CPU 1"
        if pinned
        else "server and stand-in switch in separate processes (no CPU pinning available)"
    )
    print(f"outbound server benchmark ({os.cpu_count()} cores; {where})")
    print(
        f"  new calls per second : {figures['calls_per_second']:8.0f}   "
        f"({figures['burst_calls']:.0f} short IVR calls, {BURST_CONCURRENCY} in flight, "
        f"{figures['burst_failures']:.0f} failed; target >= 250)"
    )
    print(
        f"  CPU per call         : server {figures['server_cpu_ms_per_call']:.2f} ms, "
        f"stand-in switch {figures['switch_cpu_ms_per_call']:.2f} ms"
    )
    print(
        f"  concurrent calls held: {figures['concurrent_calls_held']:8.0f}   "
        f"(set up in {figures['hold_setup_seconds']:.1f}s, "
        f"~{figures['server_rss_kib_per_held_call']:.0f} KiB server memory each; target >= 2000)"
    )
    print(
        f"  command round trip   : p50 {figures['rtt_p50_ms']:.2f} ms, p99 {figures['rtt_p99_ms']:.2f} ms   "
        f"({figures['rtt_samples']:.0f} sendmsg->EXECUTE_COMPLETE with the held calls open; target p99 < 10)"
    )


# -- the switch side (second process) -----------------------------------------------------------


def switch_process(conn: Connection, target: tuple[str, int]) -> None:
    raise_file_limit()
    pin_to_cpu(1)
    switch = OutboundSwitch(target)
    held: list[ScriptedCall] = []

    def place(count: int, concurrency: int, options: dict[str, Any]) -> dict[str, float]:
        pool = Pool(concurrency)
        outcomes: list[bool] = []

        def one() -> None:
            call = switch.place_call(CallScript(max_linger=30.0, **options))
            outcomes.append(call.wait(60.0) and call.error is None and call.closed_by_app)

        started, cpu = time.perf_counter(), cpu_seconds()
        for _ in range(count):
            pool.spawn(one)
        pool.join()
        return {
            "placed": float(count),
            "ok": float(sum(outcomes)),
            "elapsed": time.perf_counter() - started,
            "cpu": cpu_seconds() - cpu,
        }

    def hold(count: int, options: dict[str, Any]) -> dict[str, float]:
        started = time.perf_counter()
        for index in range(count):
            held.append(switch.place_call(CallScript(max_linger=30.0, **options)))
            if index % 100 == 99:
                gevent.sleep(0)
        deadline = time.perf_counter() + 120.0

        def holding() -> int:
            return sum(1 for call in held if len(call.executions) >= 2 and not call.done)

        while holding() < count and time.perf_counter() < deadline:
            gevent.sleep(0.05)
        return {"held": float(holding()), "elapsed": time.perf_counter() - started}

    def release() -> dict[str, float]:
        for call in held:
            call.caller_hangup()
        done = sum(1 for call in held if call.wait(60.0))
        return {"released": float(done)}

    handlers: dict[str, Callable[..., dict[str, float]]] = {
        "ready": lambda: {"ok": 1.0},
        "calls": place,
        "hold": hold,
        "release": release,
    }
    while True:
        wait_read(conn.fileno())
        command, *args = conn.recv()
        if command == "stop":
            return
        conn.send(handlers[command](*args))


if __name__ == "__main__":
    run()
