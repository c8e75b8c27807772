"""How long and how big a run is: the full benchmark, or the few-second smoke."""

from dataclasses import dataclass

from bench.host import CEILING, PROJECT, SERVERS


@dataclass(frozen=True)
class Profile:
    name: str
    # Seconds of load per scenario and concurrency, after `warmup` seconds unmeasured.
    duration: float
    warmup: float
    connections: tuple[int, ...]
    users: int
    posts: int
    # Gunicorn worker counts compared on `scaling_scenario` at `scaling_connections`.
    workers: tuple[int, ...] = ()
    scaling_scenario: str = "auth_list"
    scaling_connections: int = 32
    # Cold starts measured (each stops and starts the whole stack).
    cold_starts: int = 0
    # Seconds to wait at most for the machine's load to settle before measuring.
    quiet_wait: float = 0
    # Web configurations tried on the scaling scenario: (label, environment).
    experiments: tuple[tuple[str, dict], ...] = ()
    # Scenarios sampled with py-spy at `scaling_connections`, when it is installed.
    profiled: tuple[str, ...] = ()
    # Server configurations run on the host beside the stack (bench/host.py),
    # by label; the first is the ceiling. Empty: none.
    host_servers: tuple[str, ...] = ()
    # Rounds over those servers, each in a new order; the median run is kept.
    host_rounds: int = 1
    # Seconds of each open-model run (fixed rates at 50% and 80% of capacity).
    # A minute holds every periodic job of the stack (scrapes every 15 s, the
    # backup check every 60 s) once at least, so one of them landing in a short
    # run or missing it does not decide the p99.
    open_seconds: float = 0
    # The soak: seconds at `soak_share` of the mix's capacity, measured for
    # `capacity_seconds` first. 0: no soak.
    soak_seconds: float = 0
    soak_share: float = 0.8
    capacity_seconds: float = 20


FULL = Profile(
    name="full",
    duration=10,
    warmup=3,
    connections=(1, 8, 32, 64),
    users=100,
    posts=10_000,
    workers=(1, 2, 4, 8),
    cold_starts=3,
    quiet_wait=600,
    profiled=("baseline", "anon_list", "auth_list"),
    experiments=(
        ("defaults (4 sync workers)", {}),
        ("no worker recycling", {"GUNICORN_MAX_REQUESTS": "0"}),
        ("recycled every 1,000 requests", {"GUNICORN_MAX_REQUESTS": "1000"}),
        ("2 sync workers", {"GUNICORN_WORKERS": "2"}),
        (
            "before: gthread 2 workers x 4 threads",
            {
                "GUNICORN_WORKERS": "2",
                "GUNICORN_CMD_ARGS": "--worker-class=gthread --threads=4",
            },
        ),
        ("app imported by every worker", {"GUNICORN_PRELOAD": "false"}),
        ("gunicorn access log on (Nginx's too)", {"GUNICORN_ACCESS_LOG": "true"}),
    ),
    host_servers=tuple(server.label for server in SERVERS),
    host_rounds=3,
    open_seconds=60,
    soak_seconds=600,
)
SMOKE = Profile(
    name="smoke",
    duration=2,
    warmup=1,
    connections=(1, 4),
    users=2,
    posts=40,
    host_servers=(CEILING.label, PROJECT.label),
    open_seconds=2,
    soak_seconds=10,
    capacity_seconds=3,
)
PROFILES = {profile.name: profile for profile in (FULL, SMOKE)}
