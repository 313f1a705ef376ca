"""A SimpleLogin-shaped Flask app for headroom's lab: real imports, real per-worker memory.

Why it looks like this: the failures headroom predicts come from workers x per-worker memory not
fitting the cgroup limit (domain.md §1.7, §6). A trivial WSGI app is ~19 MB per worker, far below
what the seeds describe (~100-200 MB per full Python app process), so this app pays the same kind
of import bill as SimpleLogin (Flask, SQLAlchemy, cryptography, an RSA key made at import) plus a
module-level ballast (LAB_BALLAST_MB, default 64) written page by page so it is really resident.
Without --preload every worker imports this module itself, so every worker pays the whole bill.

Routes: `/` fast; `/alloc?mb=N[&hold=S]` allocates N MiB, touches it, holds it S seconds
(default 0.3); `/slow?s=N` sleeps N seconds; `/db` runs a query through SQLAlchemy against SQLite
(LAB_DB, default /tmp/headroom-lab.sqlite) - SQLite, not PostgreSQL, to keep the lab self-contained.
"""

import os
import time

from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify, request
from sqlalchemy import Integer, String, create_engine, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

MIB = 1024 * 1024

# Multiplying a one-byte bytearray writes every byte, so the pages are private and resident
# (a bare bytearray(n) could be lazily zero-mapped and never charged to the cgroup).
_BALLAST = bytearray(b"\x01") * (int(os.environ.get("LAB_BALLAST_MB", "64")) * MIB)

# Key material made at import, as apps that sign or encrypt do: CPU at boot, a little memory.
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Base(DeclarativeBase):
    pass


class Alias(Base):
    __tablename__ = "alias"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(128))


_engine = create_engine(
    "sqlite:///" + os.environ.get("LAB_DB", "/tmp/headroom-lab.sqlite"),
    connect_args={"timeout": 10},
)
with _engine.begin() as conn:
    # Several workers import at once: IF NOT EXISTS keeps the race harmless.
    conn.execute(
        text("CREATE TABLE IF NOT EXISTS alias (id INTEGER PRIMARY KEY, email VARCHAR(128))")
    )
    if conn.execute(text("SELECT count(*) FROM alias")).scalar_one() == 0:
        conn.execute(
            text("INSERT INTO alias (email) VALUES (:e)"),
            [{"e": f"user{i}@example.org"} for i in range(200)],
        )

app = Flask(__name__)


@app.get("/")
def index():
    return "ok\n"


@app.get("/alloc")
def alloc():
    mb = max(0, min(request.args.get("mb", 16, type=int), 4096))
    hold = max(0.0, min(request.args.get("hold", 0.3, type=float), 60.0))
    block = bytearray(b"\x02") * (mb * MIB)
    time.sleep(hold)
    return jsonify(mb=mb, held=hold, check=block[-1] if block else 0)


@app.get("/slow")
def slow():
    s = max(0.0, min(request.args.get("s", 1, type=float), 600.0))
    time.sleep(s)
    return jsonify(slept=s)


@app.get("/db")
def db():
    with Session(_engine) as session:
        rows = session.scalars(select(Alias).where(Alias.id % 7 == 0).limit(20)).all()
        return jsonify(count=len(rows), first=rows[0].email if rows else None)
