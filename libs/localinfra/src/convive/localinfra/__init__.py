"""Real PostgreSQL and Apache Kafka (KRaft) as child processes on loopback, for `convive run`,
the tests and the benchmarks; never a dependency of a service.

`processes` keeps child servers from outliving their parent, `postgres` and `kafka` start the two
servers (or use the ones the environment names). See docs/decisions/0002-local-infrastructure.md
for the choices and the limits of the watchdog.
"""

from convive.localinfra.kafka import (
    KAFKA_BOOTSTRAP_ENV,
    ExternalKafka,
    KafkaServer,
    LocalKafka,
    ensure_kafka_jars,
    kafka_from_env_or_start,
    start_kafka,
)
from convive.localinfra.postgres import (
    DATABASE_URL_ENV,
    ExternalPostgres,
    LocalPostgres,
    PostgresServer,
    dsn_from_url,
    postgres_bindir,
    postgres_from_env_or_start,
    start_postgres,
    url_from_dsn,
)
from convive.localinfra.processes import (
    CACHE_ENV,
    InfraError,
    cache_dir,
    free_port,
    port_is_free,
    repo_root,
    stop_all,
)

__all__ = [
    "CACHE_ENV",
    "DATABASE_URL_ENV",
    "KAFKA_BOOTSTRAP_ENV",
    "ExternalKafka",
    "ExternalPostgres",
    "InfraError",
    "KafkaServer",
    "LocalKafka",
    "LocalPostgres",
    "PostgresServer",
    "cache_dir",
    "dsn_from_url",
    "ensure_kafka_jars",
    "free_port",
    "kafka_from_env_or_start",
    "port_is_free",
    "postgres_bindir",
    "postgres_from_env_or_start",
    "repo_root",
    "start_kafka",
    "start_postgres",
    "stop_all",
    "url_from_dsn",
]
