#!/usr/bin/python3
# The original design's server, rebuilt for bench/ingest so HiCloud's ingest can be compared with
# it on the same machine and the same MariaDB. It is not part of HiCloud.
#
# Its shape is the one the original README (shared/seed-README.ko.md) describes for
# hicloud_server.py and hicloud_database.py:
#   * a Flask application started with `python hicloud_server.py`, i.e. Flask's own `app.run()`
#     (Werkzeug's development server, threaded, one thread per connection; no gunicorn);
#   * PyMySQL, with the connection settings of hicloud_database.py (host, user, password, name);
#   * POST /monitor_info with the README's JSON; one INSERT per row: the `server` row, then one
#     INSERT per entry of `container_stats`, then a commit; answered with the README's envelope;
#   * the README's log line per sample, "[time] HiCloud received data: MonitorInfo(...)", printed;
#   * GET /health answering {"status": "healthy", "timestamp": ISO 8601 with microseconds}.
# The README shows no connection pool, and Flask's threads cannot share one PyMySQL connection,
# so each request opens its own connection, as a script of that shape does. The Idempotency-Key
# header is ignored (the original knew nothing of it).
#
# Debian's packages only: python3-flask and python3-pymysql (bench/ingest installs them).
# Settings come from the environment so the benchmark can point it at its private MariaDB:
#   ORIGINAL_DB_HOST, ORIGINAL_DB_PORT, ORIGINAL_DB_USER, ORIGINAL_DB_PASSWORD, ORIGINAL_DB_NAME,
#   ORIGINAL_PORT (default 8000, as the README says).
import dataclasses
import datetime
import os

import pymysql
from flask import Flask, jsonify, request

host = os.environ.get("ORIGINAL_DB_HOST", "127.0.0.1")
port = int(os.environ.get("ORIGINAL_DB_PORT", "3306"))
user = os.environ.get("ORIGINAL_DB_USER", "hicloud_admin")
password = os.environ.get("ORIGINAL_DB_PASSWORD", "hicloud_password")
name = os.environ.get("ORIGINAL_DB_NAME", "hicloud_monitoring_db")

app = Flask(__name__)


@dataclasses.dataclass
class ContainerInfo:
    engine_type: str
    agent_id: str
    node_name: str
    container_name: str
    status: str
    con_cpu_percent: float
    con_memory_usage: float
    con_memory_percent: float
    con_get_datetime: str


@dataclasses.dataclass
class MonitorInfo:
    engine_type: str
    agent_id: str
    ser_cpu_count: int
    ser_cpu_percent: float
    ser_memory_total: int
    ser_memory_used: int
    ser_memory_percent: float
    ser_get_datetime: str
    container_stats: list


def get_connection():
    return pymysql.connect(host=host, port=port, user=user, password=password, database=name, charset="utf8mb4")


def save_monitor_info(info):
    db = get_connection()
    try:
        with db.cursor() as cursor:
            cursor.execute(
                "INSERT INTO server (engine_type, agent_id, ser_cpu_count, ser_cpu_percent, ser_memory_total, "
                "ser_memory_used, ser_memory_percent, ser_get_datetime) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (info.engine_type, info.agent_id, info.ser_cpu_count, info.ser_cpu_percent, info.ser_memory_total,
                 info.ser_memory_used, info.ser_memory_percent, info.ser_get_datetime))
            for c in info.container_stats:
                cursor.execute(
                    "INSERT INTO container (engine_type, agent_id, node_name, container_name, status, "
                    "con_cpu_percent, con_memory_usage, con_memory_percent, con_get_datetime) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (c.engine_type, c.agent_id, c.node_name, c.container_name, c.status, c.con_cpu_percent,
                     c.con_memory_usage, c.con_memory_percent, c.con_get_datetime))
        db.commit()
    finally:
        db.close()


def result(success, message):
    return {"data": "", "pageInfo": {}, "resultCode": "0" if success else "1", "resultMessage": message,
            "success": success}


@app.route("/monitor_info", methods=["POST"])
def monitor_info():
    try:
        data = request.get_json()
        containers = [ContainerInfo(**c) for c in data.pop("container_stats", [])]
        info = MonitorInfo(**data, container_stats=containers)
        print(f"[{datetime.datetime.now():%Y-%m-%d %H:%M:%S}] HiCloud received data: {info}", flush=True)
        save_monitor_info(info)
        return jsonify(result(True, "Success"))
    except Exception as e:  # the original answered every failure with its envelope
        return jsonify(result(False, str(e))), 500


@app.route("/health", methods=["GET"])
def health():
    return jsonify({"status": "healthy", "timestamp": datetime.datetime.now().isoformat()})


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("ORIGINAL_PORT", "8000")))
