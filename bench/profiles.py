"""How long and how big a run is: the full benchmark, or the few-second smoke."""

from dataclasses import dataclass


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


FULL = Profile(
    name="full",
    duration=10,
    warmup=3,
    connections=(1, 8, 32, 64),
    users=100,
    posts=10_000,
    workers=(1, 2, 4),
    cold_starts=3,
    quiet_wait=600,
    profiled=("baseline", "anon_list", "auth_list"),
    experiments=(
        ("defaults (2 workers x 4 threads)", {}),
        ("no worker recycling", {"GUNICORN_MAX_REQUESTS": "0"}),
        ("2 workers x 1 thread", {"GUNICORN_THREADS": "1"}),
        ("4 workers x 1 thread", {"GUNICORN_WORKERS": "4", "GUNICORN_THREADS": "1"}),
        ("app imported by every worker", {"GUNICORN_PRELOAD": "false"}),
        (
            "access log to /dev/null",
            {"GUNICORN_CMD_ARGS": "--access-logfile=/dev/null"},
        ),
    ),
)
SMOKE = Profile(
    name="smoke",
    duration=2,
    warmup=1,
    connections=(1, 4),
    users=2,
    posts=40,
)
PROFILES = {profile.name: profile for profile in (FULL, SMOKE)}
