#!/usr/bin/env python3
"""The world of the HTTP authorize benchmark (bench/http/run.sh, MODE=authorize).

  authorize_world.py prepare DIR BUNDLE
      DIR/writ.toml, a copy of the bundle (without its tests), a master key, an evidence key,
      and a stand-in OpenID Connect provider (an Ed25519 key; its JWKS in a file).
  authorize_world.py tokens DIR URL ADMIN_KEY
      Registers four agents through the API (Ed25519 keys for RFC 7523 client assertions),
      opens a payments task and a support task for the user bob (POST /v1/tasks with an OIDC
      token of the provider), delegates each to a sub-agent (RFC 8693 exchange at
      /oauth/token), asks each benchmark request once and checks its verdict, then writes
      DIR/authorize.lua for wrk: requests rotating among those bodies, each with its agent's
      bearer token. Prints the requests and their verdicts; DIR/checked holds how many
      decisions it asked for.

The Lua script reads three environment variables: WRIT_BENCH_DELAY_MS (a pause before each
request on a connection, to offer a chosen rate: wrk has no rate limit), WRIT_BENCH_SEQS (a
file: when set, the ledger_seq of every 200 answer is collected and written there at the end;
only for the evidence run, since parsing answers costs wrk time).
"""
import base64
import json
import os
import secrets
import shutil
import sys
import time
import urllib.error
import urllib.request

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ISSUER = "https://writ.bench"
TRUST_DOMAIN = "writ.bench"
IDP = "https://idp.bench"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(key: Ed25519PrivateKey, kid: str) -> dict:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), "kid": kid, "alg": "EdDSA",
            "use": "sig"}


def sign_jwt(key: Ed25519PrivateKey, kid: str, claims: dict) -> str:
    header = {"alg": "EdDSA", "typ": "JWT", "kid": kid}
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(claims, separators=(",", ":")).encode()))
    return signing_input + "." + b64url(key.sign(signing_input.encode()))


def load_key(path: str) -> Ed25519PrivateKey:
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def save_key(key: Ed25519PrivateKey, path: str) -> None:
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    os.chmod(path, 0o600)


def write_secret(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text + "\n")
    os.chmod(path, 0o600)


def prepare(d: str, bundle: str) -> None:
    os.makedirs(d, exist_ok=True)
    shutil.copytree(bundle, os.path.join(d, "bundle"), ignore=shutil.ignore_patterns("tests"))
    idp = Ed25519PrivateKey.generate()
    save_key(idp, os.path.join(d, "idp.pem"))
    with open(os.path.join(d, "idp-jwks.json"), "w") as f:
        json.dump({"keys": [public_jwk(idp, "idp-1")]}, f)
    write_secret(os.path.join(d, "master.key"), secrets.token_hex(32))
    write_secret(os.path.join(d, "evidence.key"), secrets.token_hex(32))
    with open(os.path.join(d, "writ.toml"), "w") as f:
        f.write(f'''data_dir = "data"

[policies]
dir = "bundle"
reload_interval_ms = 0

[identity]
trust_domain = "{TRUST_DOMAIN}"
issuer = "{ISSUER}"
master_key_file = "master.key"
task_token_lifetime_s = 3600

[[identity.oidc]]
issuer = "{IDP}"
audiences = ["writ"]
jwks_file = "idp-jwks.json"

[evidence]
hmac_key_file = "evidence.key"
sensitive_names = ["prompt"]

[ledger]
origin = "writ.bench/node-1"
''')


class Api:
    def __init__(self, url: str):
        self.url = url

    def call(self, path: str, body, auth: str = "", form: bool = False):
        headers = {}
        if auth:
            headers["Authorization"] = "Bearer " + auth
        if form:
            data = "&".join(urllib.request.quote(k, safe="") + "=" +
                            urllib.request.quote(v, safe="") for k, v in body.items()).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")


def assertion(agent: str, key: Ed25519PrivateKey) -> str:
    now = int(time.time())
    sid = f"spiffe://{TRUST_DOMAIN}/agent/{agent}"
    return sign_jwt(key, "k1", {"iss": sid, "sub": sid, "aud": ISSUER + "/oauth/token",
                                "iat": now, "exp": now + 60, "jti": secrets.token_hex(16)})


def tokens(d: str, url: str, admin: str) -> None:
    api = Api(url)
    idp = load_key(os.path.join(d, "idp.pem"))
    agents = {}
    for name, team in (("payments-orchestrator", "payments"), ("refund-agent", "payments"),
                       ("support-orchestrator", "support"), ("mailer", "support")):
        key = Ed25519PrivateKey.generate()
        status, body = api.call("/v1/agents", {"name": name, "owner": "ops@acme.example",
                                               "team": team, "public_jwk": public_jwk(key, "k1")},
                                admin)
        if status != 201:
            sys.exit(f"registering {name}: {status} {body}")
        agents[name] = key

    def open_task(agent: str, scopes: list, intent: str) -> str:
        now = int(time.time())
        user = sign_jwt(idp, "idp-1", {"iss": IDP, "sub": "bob", "aud": "writ", "iat": now,
                                       "exp": now + 600, "groups": ["employees"]})
        status, body = api.call("/v1/tasks", {
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion(agent, agents[agent]), "user_token": user,
            "intent": intent, "scopes": scopes, "lifetime_s": 3600})
        if status != 201:
            sys.exit(f"opening a task for {agent}: {status} {body}")
        return body["token"]

    def exchange(parent: str, actor: str, scope: str) -> str:
        status, body = api.call("/oauth/token", {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": parent,
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "actor_token": assertion(actor, agents[actor]),
            "actor_token_type": "urn:ietf:params:oauth:token-type:jwt", "scope": scope},
            form=True)
        if status != 200:
            sys.exit(f"delegating to {actor}: {status} {body}")
        return body["access_token"]

    payments = open_task("payments-orchestrator", ["payments:read", "payments:refund"],
                         "refund a duplicate charge on order A-1001")
    support = open_task("support-orchestrator", ["support:email", "support:tickets"],
                        "answer the customer's complaint about a late delivery")
    refunder = exchange(payments, "refund-agent", "payments:read payments:refund")
    mailer = exchange(support, "mailer", "support:email support:tickets")
    tok = {"payments-orchestrator": payments, "refund-agent": refunder,
           "support-orchestrator": support, "mailer": mailer}

    def mcp(action, server, **inp):
        return {"action": action, "resource": {"type": "McpServer", "id": server},
                "context": {"input": inp}}

    def dataset(name):
        return {"action": "resources/read", "resource": {"type": "Dataset", "id": name},
                "context": {}}

    # (agent, body, expected verdict, the policy that decides)
    cases = [
        ("refund-agent", mcp("refund", "payments", order_id="A-1001", amount=40, currency="EUR"),
         "allow", "small-refunds"),
        ("refund-agent", mcp("refund", "payments", order_id="A-1002", amount=99, currency="EUR"),
         "allow", "small-refunds"),
        ("refund-agent", dataset("card-vault"), "deny", "restricted-data (forbid)"),
        ("refund-agent", mcp("sql_query", "sql", sql="SELECT * FROM orders WHERE id = 7",
                             limit=500), "allow", "payments-query-sql, narrowed"),
        ("refund-agent", mcp("sql_query", "sql", sql="DELETE FROM orders"), "deny", "no permit"),
        ("refund-agent", mcp("read_file", "filesystem", path="/srv/payments/2026-11.csv"),
         "allow", "team-files-read"),
        ("refund-agent", mcp("read_file", "filesystem", path="/srv/secrets/stripe.key"), "deny",
         "secrets-stay-put (forbid)"),
        ("payments-orchestrator", dataset("orders"), "allow", "own-team-data"),
        ("mailer", dict(mcp("send_email", "email", to="dana@customers.acme.example",
                            subject="Your order", body="It ships tomorrow."),
                        ), "allow", "support-sends-email"),
        ("mailer", mcp("send_email", "email", to="someone@example.org", subject="hi",
                       body="hello"), "deny", "no permit"),
        ("mailer", mcp("create_ticket", "ticketing", title="Late delivery", priority=5), "allow",
         "support-tickets, narrowed"),
        ("support-orchestrator", dataset("tickets"), "allow", "support-data"),
        ("mailer", mcp("http_fetch", "http", url="http://169.254.169.254/latest/meta-data/"),
         "deny", "cloud-metadata (forbid)"),
        ("refund-agent", dataset("public-docs"), "allow", "public-data"),
    ]
    # Some callers also send the prompt (kept as an HMAC digest) and where they run from.
    cases[0][1]["context"]["prompt"] = "The customer was charged twice for A-1001; refund it."
    cases[8][1]["context"]["source_ip"] = "10.20.30.40"
    cases[9][1]["context"]["source_ip"] = "10.20.30.41"

    bodies = []
    print(f"{'agent':<22} {'action':<15} {'resource':<22} verdict  policy")
    for agent, body, expected, policy in cases:
        status, answer = api.call("/v1/authorize", body, tok[agent])
        verdict = answer.get("verdict")
        if status != 200 or verdict != expected:
            sys.exit(f"{agent} {body}: expected {expected}, got {status} {answer}")
        res = body["resource"]["type"] + "::" + body["resource"]["id"]
        print(f"{agent:<22} {body['action']:<15} {res:<22} {verdict:<8} {policy}")
        bodies.append((tok[agent], json.dumps(body, separators=(",", ":"))))
    with open(os.path.join(d, "checked"), "w") as f:
        f.write(f"{len(cases)}\n")

    def lua_string(s: str) -> str:
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"

    with open(os.path.join(d, "authorize.lua"), "w") as f:
        f.write("-- Generated by bench/http/authorize_world.py: realistic POST /v1/authorize.\n")
        f.write("local bodies = {\n")
        for token, body in bodies:
            f.write(f"  {{{lua_string(token)}, {lua_string(body)}}},\n")
        f.write("}\n")
        f.write(LUA)


LUA = r'''
local requests = {}

local delay_ms = tonumber(os.getenv("WRIT_BENCH_DELAY_MS") or "0")
local seqs_file = os.getenv("WRIT_BENCH_SEQS") or ""
local threads = {}
local counter = 0
seqs = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  -- Built here, where wrk.host (the Host field) is known.
  for i, b in ipairs(bodies) do
    requests[i] = wrk.format("POST", "/v1/authorize", {
      ["Host"] = wrk.host .. ":" .. wrk.port,
      ["Authorization"] = "Bearer " .. b[1],
      ["Content-Type"] = "application/json",
      ["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    }, b[2])
  end
  -- Threads start at different places in the rotation.
  counter = id * 7
end

function request()
  counter = counter + 1
  return requests[counter % #requests + 1]
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

if seqs_file ~= "" then
  function response(status, headers, body)
    if status == 200 then
      local s = body:match('"ledger_seq":(%d+)')
      seqs[#seqs + 1] = s or "none"
    end
  end

  function done(summary, latency, requests)
    local f = io.open(seqs_file, "w")
    for _, t in ipairs(threads) do
      for _, s in ipairs(t:get("seqs")) do
        f:write(s, "\n")
      end
    end
    f:close()
  end
end
'''

if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "tokens":
        tokens(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
