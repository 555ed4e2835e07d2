// `writ keys`, `writ agent`, `writ token` and `writ revoke`: the identity part over a data
// directory (the same `writ.db` the ledger uses). Every issue, exchange, refusal, revocation and
// rotation made here is recorded in the data directory's ledger, under its own log origin
// (`--origin`, default "writ-cli") so that it never races a running server's log: the ledger
// has one writer per origin, and the server never writes this one. The records are the ones the
// server writes for the same events (service/ledger_event_sink.h), and `writ revoke --task`
// adds the task_end record that ending a task through the API writes, so the evidence of a
// revocation does not depend on where it was made.
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "base/canonical_json.h"
#include "base/clock.h"
#include "base/jose.h"
#include "cli/commands.h"
#include "cli/io.h"
#include "identity/agent_registry.h"
#include "identity/errors.h"
#include "identity/events.h"
#include "identity/master_key.h"
#include "identity/revocation_index.h"
#include "identity/secret_broker.h"
#include "identity/signing_keys.h"
#include "identity/token_service.h"
#include "ledger/checkpoint.h"
#include "ledger/evidence.h"
#include "ledger/ledger.h"
#include "ledger/record.h"
#include "ledger/records.h"
#include "service/ledger_event_sink.h"
#include "store/identity_store.h"
#include "store/sqlite_store.h"

namespace writ::cli {
namespace {

namespace json = boost::json;
using identity::IdentityErrorName;
using identity::IdentityErrorOf;

struct IdentityArgs {
  std::string data_dir = "data";
  std::string master_key_file;
  std::string origin = "writ-cli";
  std::string issuer = "https://writ.local";
  std::string trust_domain = "writ.local";
  std::string token_endpoint;  // default: <issuer>/oauth/token
  bool json = false;
};

[[noreturn]] void Fail(int code, const std::string& message) {
  PrintError(message);
  Exit(code);
}

void AddCommonOptions(CLI::App* cmd, IdentityArgs* a) {
  cmd->add_option("--data", a->data_dir, "data directory (holds writ.db)")->capture_default_str();
  cmd->add_option("--master-key-file", a->master_key_file,
                  "file with the 32-byte master key (hex or base64, mode 0600); default: the "
                  "WRIT_MASTER_KEY environment variable");
  cmd->add_option("--origin", a->origin, "ledger log that records these events")
      ->capture_default_str();
  cmd->add_option("--issuer", a->issuer, "token issuer (iss)")
      ->envname("WRIT_ISSUER")
      ->capture_default_str();
  cmd->add_option("--trust-domain", a->trust_domain, "SPIFFE trust domain of agents")
      ->envname("WRIT_TRUST_DOMAIN")
      ->capture_default_str();
  cmd->add_flag("--json", a->json, "print JSON");
}

// Everything a command may need, opened on demand, closed in reverse order.
struct Session {
  IdentityArgs args;
  SystemClock clock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<ledger::NoteSigner> note_signer;
  std::unique_ptr<ledger::Ledger> ledger;
  std::optional<ledger::EvidencePolicy> evidence;  // no sensitive fields: none are recorded here
  std::unique_ptr<service::LedgerEventSink> sink;
  std::unique_ptr<identity::MasterKey> master;
  std::unique_ptr<identity::SigningKeyRing> keys;
  std::unique_ptr<identity::AgentRegistry> agents;
  std::unique_ptr<identity::RevocationIndex> index;
  std::unique_ptr<identity::TokenService> tokens;

  explicit Session(IdentityArgs a) : args(std::move(a)) {
    store::SqliteOptions so;
    so.data_dir = args.data_dir;
    auto s = store::OpenSqliteStore(so);
    if (!s.ok()) Fail(kExitInputError, s.status().ToString());
    store = std::move(s).value();
    auto signer = ledger::LoadOrCreateFileNoteSigner(args.data_dir + "/ledger.key", args.origin);
    if (!signer.ok()) Fail(kExitInputError, signer.status().ToString());
    note_signer = std::move(signer).value();
    ledger::LedgerOptions lo;
    lo.origin = args.origin;
    auto l = ledger::Ledger::Open(store->ledger(), *note_signer, clock, lo);
    if (!l.ok()) Fail(kExitInputError, l.status().ToString());
    ledger = std::move(l).value();
    auto policy = ledger::EvidencePolicy::Create({});
    if (!policy.ok()) Fail(kExitInputError, policy.status().ToString());
    evidence.emplace(std::move(policy).value());
    sink = std::make_unique<service::LedgerEventSink>(*ledger, *evidence, clock, args.trust_domain);
    identity::AgentRegistryOptions ao;
    ao.trust_domain = args.trust_domain;
    ao.token_endpoint =
        args.token_endpoint.empty() ? args.issuer + "/oauth/token" : args.token_endpoint;
    agents = std::make_unique<identity::AgentRegistry>(store->identity(), *sink, clock, ao);
  }
  ~Session() {
    tokens.reset();
    keys.reset();
    if (ledger) (void)ledger->Close();
  }

  void OpenKeys(bool need_master, JwsAlgorithm first_key_algorithm = JwsAlgorithm::kEdDSA) {
    identity::KeyRingOptions ko;
    ko.algorithm = first_key_algorithm;
    if (need_master) {
      Result<identity::MasterKey> mk = args.master_key_file.empty()
                                           ? identity::MasterKey::FromEnvironment()
                                           : identity::MasterKey::FromFile(args.master_key_file);
      if (!mk.ok()) {
        Fail(kExitInputError,
             mk.status().ToString() + " (give --master-key-file or set WRIT_MASTER_KEY)");
      }
      master = std::make_unique<identity::MasterKey>(std::move(mk).value());
      auto k = identity::SigningKeyRing::Open(store->identity(), *master, clock, *sink, ko);
      if (!k.ok()) Fail(kExitInputError, k.status().ToString());
      keys = std::move(k).value();
    } else {
      auto k = identity::SigningKeyRing::OpenForVerification(store->identity(), clock, *sink, ko);
      if (!k.ok()) Fail(kExitInputError, k.status().ToString());
      keys = std::move(k).value();
    }
    index = std::make_unique<identity::RevocationIndex>();
    auto loaded = index->LoadFromStore(store->identity());
    if (!loaded.ok()) Fail(kExitInputError, loaded.status().ToString());
    identity::TokenServiceOptions to;
    to.issuer = args.issuer;
    tokens = std::make_unique<identity::TokenService>(store->identity(), *keys, *agents, *index,
                                                      *sink, clock, to);
  }
};

void Print(const IdentityArgs& a, const json::object& o, const std::string& text) {
  if (a.json) {
    std::cout << json::serialize(o) << "\n";
  } else {
    std::cout << text;
  }
}

// Exit code of a refusal: deny for identity refusals, input error otherwise.
[[noreturn]] void FailStatus(const IdentityArgs& a, const Status& s) {
  auto code = IdentityErrorOf(s);
  if (a.json) {
    json::object o{{"ok", false},
                   {"error", code ? std::string(IdentityErrorName(*code))
                                  : std::string(StatusCodeName(s.code()))},
                   {"message", s.message()}};
    std::cout << json::serialize(o) << "\n";
  }
  Fail(code && s.code() == StatusCode::kPermissionDenied ? kExitDeny : kExitInputError,
       s.ToString());
}

std::string ReadToken(const std::string& arg) {
  if (arg != "-") return arg;
  std::string line;
  std::getline(std::cin, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

json::object ClaimsJson(const identity::TokenClaims& c) {
  return identity::IntrospectionResponse(c);
}

std::string KeyLine(const identity::SigningKeyInfo& k) {
  std::string state =
      k.signing ? "signing" : "verifies until " + FormatRfc3339Micros(k.verify_until_us);
  return k.kid + "  " + std::string(JwsAlgorithmName(k.algorithm)) + "  created " +
         FormatRfc3339Micros(k.created_us) + "  " + state + "\n";
}

json::object KeyJson(const identity::SigningKeyInfo& k) {
  json::object o{{"kid", k.kid},
                 {"alg", JwsAlgorithmName(k.algorithm)},
                 {"created", FormatRfc3339Micros(k.created_us)},
                 {"signing", k.signing}};
  if (!k.signing) o["verify_until"] = FormatRfc3339Micros(k.verify_until_us);
  return o;
}

json::object AgentJson(const identity::Agent& a) {
  json::object o{{"name", a.name},
                 {"spiffe_id", a.spiffe_id},
                 {"owner", a.owner},
                 {"team", a.team},
                 {"client_secret", a.has_client_secret},
                 {"created", FormatRfc3339Micros(a.created_us)}};
  if (a.public_key) o["public_key"] = a.public_key->ToJson();
  return o;
}

void AddKeys(CLI::App& app) {
  auto* keys = app.add_subcommand("keys", "the issuer's signing keys");
  keys->require_subcommand(1);

  auto a = std::make_shared<IdentityArgs>();
  auto alg = std::make_shared<std::string>("EdDSA");
  auto* rotate = keys->add_subcommand("rotate",
                                      "make a new signing key; the previous ones keep "
                                      "verifying for the overlap window (24 h)");
  AddCommonOptions(rotate, a.get());
  rotate->add_option("--alg", *alg, "EdDSA or ES256")->capture_default_str();
  rotate->callback([a, alg] {
    auto parsed = ParseJwsAlgorithm(*alg);
    if (!parsed) Fail(kExitInputError, "--alg must be EdDSA or ES256");
    Session s(*a);
    auto before = s.store->identity().ListSigningKeys();
    if (!before.ok()) FailStatus(*a, before.status());
    s.OpenKeys(true, *parsed);
    if (before->empty()) {  // opening made the first key
      auto first = s.keys->List();
      Print(*a, KeyJson(first.back()), "created: " + KeyLine(first.back()));
      return;
    }
    auto r = s.keys->Rotate(*parsed);
    if (!r.ok()) FailStatus(*a, r.status());
    Print(*a, KeyJson(*r), "rotated: " + KeyLine(*r));
  });

  auto b = std::make_shared<IdentityArgs>();
  auto* list = keys->add_subcommand("list", "list the signing keys (public information only)");
  AddCommonOptions(list, b.get());
  list->callback([b] {
    Session s(*b);
    s.OpenKeys(false);
    json::array arr;
    std::string text;
    for (const auto& k : s.keys->List()) {
      arr.push_back(KeyJson(k));
      text += KeyLine(k);
    }
    if (b->json) {
      std::cout << json::serialize(json::object{{"keys", arr}}) << "\n";
    } else {
      std::cout << (text.empty() ? "no keys\n" : text);
    }
  });

  auto c = std::make_shared<IdentityArgs>();
  auto* jwks = keys->add_subcommand("jwks", "print the JWKS document to publish");
  AddCommonOptions(jwks, c.get());
  jwks->callback([c] {
    Session s(*c);
    s.OpenKeys(false);
    std::cout << s.keys->JwksDocument(s.clock.NowMicros()) << "\n";
  });
}

void AddAgents(CLI::App& app) {
  auto* agent = app.add_subcommand("agent", "registered agents");
  agent->require_subcommand(1);

  auto a = std::make_shared<IdentityArgs>();
  auto reg = std::make_shared<identity::AgentRegistration>();
  auto key_file = std::make_shared<std::string>();
  auto secret_env = std::make_shared<std::string>();
  auto* r = agent->add_subcommand("register", "register an agent");
  AddCommonOptions(r, a.get());
  r->add_option("name", reg->name, "agent name (one SPIFFE path segment)")->required();
  r->add_option("--owner", reg->owner, "owner")->required();
  r->add_option("--team", reg->team, "team")->required();
  r->add_option("--public-key", *key_file, "file with the agent's public JWK (private_key_jwt)");
  r->add_option("--client-secret-env", *secret_env,
                "environment variable holding the agent's client secret (stored as Argon2id)");
  r->callback([a, reg, key_file, secret_env] {
    if (!key_file->empty()) {
      std::string error;
      auto text = ReadFile(*key_file, &error);
      if (!text) Fail(kExitInputError, error);
      reg->public_jwk = *text;
    }
    if (!secret_env->empty()) {
      const char* v = std::getenv(secret_env->c_str());
      if (v == nullptr) Fail(kExitInputError, *secret_env + " is not set");
      reg->client_secret = v;
    }
    Session s(*a);
    auto agent = s.agents->Register(*reg);
    if (!agent.ok()) FailStatus(*a, agent.status());
    Print(*a, AgentJson(*agent), "registered " + agent->spiffe_id + "\n");
  });

  auto b = std::make_shared<IdentityArgs>();
  auto* list = agent->add_subcommand("list", "list agents");
  AddCommonOptions(list, b.get());
  list->callback([b] {
    Session s(*b);
    auto agents = s.agents->List();
    if (!agents.ok()) FailStatus(*b, agents.status());
    json::array arr;
    std::string text;
    for (const auto& ag : *agents) {
      arr.push_back(AgentJson(ag));
      text += ag.name + "  " + ag.spiffe_id + "  owner=" + ag.owner + "  team=" + ag.team + "\n";
    }
    if (b->json) {
      std::cout << json::serialize(json::object{{"agents", arr}}) << "\n";
    } else {
      std::cout << (text.empty() ? "no agents\n" : text);
    }
  });

  auto c = std::make_shared<IdentityArgs>();
  auto name = std::make_shared<std::string>();
  auto* show = agent->add_subcommand("show", "show one agent");
  AddCommonOptions(show, c.get());
  show->add_option("name", *name, "agent name")->required();
  show->callback([c, name] {
    Session s(*c);
    auto found = s.agents->Find(*name);
    if (!found.ok()) FailStatus(*c, found.status());
    if (!*found) Fail(kExitInputError, "no agent `" + *name + "`");
    const identity::Agent& ag = **found;
    std::string text = "name       " + ag.name + "\nspiffe_id  " + ag.spiffe_id + "\nowner      " +
                       ag.owner + "\nteam       " + ag.team + "\nkey        " +
                       (ag.public_key ? ag.public_key->Thumbprint() : std::string("none")) +
                       "\nsecret     " + (ag.has_client_secret ? "set" : "none") + "\n";
    Print(*c, AgentJson(ag), text);
  });
}

void AddTokens(CLI::App& app) {
  auto* token = app.add_subcommand("token", "task tokens, delegation and verification");
  token->require_subcommand(1);

  auto a = std::make_shared<IdentityArgs>();
  auto req = std::make_shared<identity::TaskTokenRequest>();
  auto* issue = token->add_subcommand("issue", "issue a task token for an agent acting for a user");
  AddCommonOptions(issue, a.get());
  issue->add_option("--agent", req->agent, "registered agent name")->required();
  issue->add_option("--user", req->user.subject, "the user's subject")->required();
  issue->add_option("--user-issuer", req->user.issuer, "the user's identity provider");
  issue->add_option("--task", req->task_id, "task id (default: a fresh one)");
  issue->add_option("--txn", req->transaction_id, "transaction id (default: a fresh one)");
  issue->add_option("--scope", req->scopes, "scope (repeatable)");
  issue->add_option("--intent", req->intent, "declared intent (kept as its SHA-256)");
  issue->add_option("--audience", req->audience, "audience (default: writ)");
  issue->add_option("--lifetime", req->lifetime_s, "lifetime in seconds (default 600)");
  issue->callback([a, req] {
    Session s(*a);
    s.OpenKeys(true);
    auto t = s.tokens->IssueTaskToken(*req);
    if (!t.ok()) FailStatus(*a, t.status());
    json::object o = ClaimsJson(t->claims);
    o["token"] = t->token;
    Print(*a, o, t->token + "\n");
  });

  auto b = std::make_shared<IdentityArgs>();
  auto ex = std::make_shared<identity::ExchangeRequest>();
  auto* exchange = token->add_subcommand(
      "exchange", "delegate a token to another agent (RFC 8693 token exchange)");
  AddCommonOptions(exchange, b.get());
  exchange->add_option("--token", ex->subject_token, "the parent token, or - for stdin")
      ->required();
  exchange->add_option("--actor", ex->actor, "the agent that receives the authority")->required();
  exchange->add_option("--scope", ex->scopes, "scope (repeatable; default: the parent's)");
  exchange->add_option("--audience", ex->audience, "audience (default: the parent's)");
  exchange->add_option("--lifetime", ex->lifetime_s,
                       "lifetime in seconds (default: 600, capped at the parent's expiry)");
  exchange->callback([b, ex] {
    Session s(*b);
    s.OpenKeys(true);
    identity::ExchangeRequest r = *ex;
    r.subject_token = ReadToken(r.subject_token);
    // From the command line the operator decides; the server asks policy instead.
    auto t = s.tokens->Exchange(r, nullptr);
    if (!t.ok()) FailStatus(*b, t.status());
    json::object o = ClaimsJson(t->claims);
    o["token"] = t->token;
    Print(*b, o, t->token + "\n");
  });

  auto c = std::make_shared<IdentityArgs>();
  auto raw = std::make_shared<std::string>();
  auto* inspect =
      token->add_subcommand("inspect", "decode a token's header and claims WITHOUT verifying it");
  inspect->add_option("token", *raw, "the token, or - for stdin")->required();
  inspect->add_flag("--json", c->json, "print JSON");
  inspect->callback([c, raw] {
    std::string t = ReadToken(*raw);
    auto parts = SplitCompactJws(t);
    if (!parts.ok()) Fail(kExitInputError, parts.status().ToString());
    auto header = ParseJson(parts->header_json);
    auto claims = ParseJson(parts->payload);
    if (!header.ok() || !claims.ok()) Fail(kExitInputError, "the token's parts are not JSON");
    json::object o{{"verified", false}, {"header", *header}, {"claims", *claims}};
    Print(*c, o,
          "header  " + json::serialize(*header) + "\nclaims  " + json::serialize(*claims) +
              "\n(not verified: use `writ token verify`)\n");
  });

  auto d = std::make_shared<IdentityArgs>();
  auto tok = std::make_shared<std::string>();
  auto vo = std::make_shared<identity::VerifyOptions>();
  auto* verify = token->add_subcommand(
      "verify", "verify a token: signature, issuer, audience, times and revocation");
  AddCommonOptions(verify, d.get());
  verify->add_option("token", *tok, "the token, or - for stdin")->required();
  verify->add_option("--audience", vo->audience, "expected audience (default: writ)");
  verify->add_flag("--credential", vo->allow_credential, "accept a just-in-time credential");
  verify->callback([d, tok, vo] {
    Session s(*d);
    s.OpenKeys(false);
    auto v = s.tokens->Verify(ReadToken(*tok), *vo);
    if (!v.ok()) FailStatus(*d, v.status());
    const identity::TokenClaims& c = (*v)->claims;
    Print(*d, ClaimsJson(c),
          "valid " + std::string(identity::TokenKindName(c.kind)) + " token " + c.token_id +
              "\n  sub   " + c.subject + "\n  user  " + c.user.subject + "\n  task  " + c.task_id +
              "\n  scope " + identity::JoinScopes(c.scopes) + "\n  depth " +
              std::to_string(c.depth) + "\n  exp   " + FormatRfc3339Micros(c.expires_at * 1000000) +
              "\n");
  });
}

// Who ended a task from the command line: "cli:<login name>" ("cli" when it is unknown).
std::string CommandLinePrincipal() {
  const char* user = std::getenv("USER");
  if (user == nullptr || *user == '\0') user = std::getenv("LOGNAME");
  return user == nullptr || *user == '\0' ? std::string("cli") : "cli:" + std::string(user);
}

void AddRevoke(CLI::App& app) {
  auto a = std::make_shared<IdentityArgs>();
  auto token = std::make_shared<std::string>();
  auto task = std::make_shared<std::string>();
  auto agent = std::make_shared<std::string>();
  auto user = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "revoke", "revoke a token, a task, an agent or a user, with everything descending from it");
  AddCommonOptions(cmd, a.get());
  auto* o1 = cmd->add_option("--token", *token, "token id (jti)");
  auto* o2 = cmd->add_option("--task", *task, "task id (ends the task)");
  auto* o3 = cmd->add_option("--agent", *agent, "agent name or SPIFFE ID");
  auto* o4 = cmd->add_option("--user", *user, "user subject");
  o1->excludes(o2, o3, o4);
  o2->excludes(o3, o4);
  o3->excludes(o4);
  cmd->add_option("--reason", *reason, "why (recorded)");
  cmd->callback([=] {
    store::RevocationTarget target;
    std::string value;
    if (!token->empty()) {
      target = store::RevocationTarget::kToken;
      value = *token;
    } else if (!task->empty()) {
      target = store::RevocationTarget::kTask;
      value = *task;
    } else if (!agent->empty()) {
      target = store::RevocationTarget::kAgent;
      value = *agent;
    } else if (!user->empty()) {
      target = store::RevocationTarget::kUser;
      value = *user;
    } else {
      Fail(kExitInputError, "name what to revoke: --token, --task, --agent or --user");
    }
    Session s(*a);
    s.OpenKeys(false);
    std::string why =
        reason->empty() && target == store::RevocationTarget::kTask ? "task ended" : *reason;
    auto out = s.tokens->Revoke(target, value, why);
    if (!out.ok()) FailStatus(*a, out.status());
    json::array ids;
    for (const auto& t : out->tokens) ids.emplace_back(t.jti);
    json::object o{{"target", store::RevocationTargetName(target)},
                   {"value", value},
                   {"revocation_id", out->revocation_id},
                   {"newly_revoked", out->newly_revoked},
                   {"tokens", ids}};
    // Revoking a task ends it: the task_end record POST /v1/revocations and
    // POST /v1/tasks/{id}/end write, here under this command's own origin. A running server
    // sees the revocation itself within identity's revocation_refresh_ms.
    if (target == store::RevocationTarget::kTask && out->newly_revoked) {
      ledger::TaskEndRecord rec;
      rec.task_id = value;
      rec.principal = CommandLinePrincipal();
      rec.reason = why.empty() ? "revoked" : why;
      rec.revoked_credentials = static_cast<int64_t>(out->tokens.size());
      auto entry = s.evidence->Entry(ledger::RecordKind::kTaskEnd, rec.ToJson());
      Result<ledger::AppendReceipt> recorded = entry.ok()
                                                   ? s.ledger->Append(std::move(entry).value())
                                                   : Result<ledger::AppendReceipt>(entry.status());
      if (!recorded.ok()) {
        FailStatus(*a, Unavailable("revoke: the task is revoked but its end could not be "
                                   "recorded: " +
                                   recorded.status().message()));
      }
      o["ledger_seq"] = static_cast<int64_t>(recorded->seq);
    }
    Print(*a, o,
          std::string(out->newly_revoked ? "revoked " : "already revoked: ") +
              store::RevocationTargetName(target) + " " + value + " (" +
              std::to_string(out->tokens.size()) + " live tokens made inactive)\n");
  });
}

}  // namespace

// `writ secret put|list`: secrets the broker keeps sealed for upstream calls (the MCP gateway's
// secret_headers), never given to agents.
void AddSecrets(CLI::App& app) {
  auto* secret = app.add_subcommand("secret", "brokered secrets (for upstream calls)");
  secret->require_subcommand(1);
  auto a = std::make_shared<IdentityArgs>();
  struct PutArgs {
    std::string name, audience, description, value_env;
  };
  auto p = std::make_shared<PutArgs>();
  auto* put =
      secret->add_subcommand("put", "store or replace a secret (its value from a variable)");
  AddCommonOptions(put, a.get());
  put->add_option("name", p->name, "the secret's name ([A-Za-z0-9._-], 1-128)")->required();
  put->add_option("--value-env", p->value_env, "environment variable holding the value")
      ->required();
  put->add_option("--audience", p->audience, "the only upstream it is released to (optional)");
  put->add_option("--description", p->description, "what it is for");
  put->callback([a, p] {
    const char* v = std::getenv(p->value_env.c_str());
    if (v == nullptr) Fail(kExitInputError, p->value_env + " is not set");
    Session s(*a);
    s.OpenKeys(true);
    identity::SecretBroker broker(s.store->identity(), *s.master, *s.sink, s.clock);
    Status put = broker.Put(p->name, v, p->audience, p->description);
    if (!put.ok()) FailStatus(*a, put);
    Print(*a, json::object{{"name", p->name}, {"audience", p->audience}},
          "stored secret " + p->name + "\n");
  });
  auto b = std::make_shared<IdentityArgs>();
  auto* list = secret->add_subcommand("list", "list secrets (names and audiences, never values)");
  AddCommonOptions(list, b.get());
  list->callback([b] {
    Session s(*b);
    s.OpenKeys(true);
    identity::SecretBroker broker(s.store->identity(), *s.master, *s.sink, s.clock);
    auto all = broker.List();
    if (!all.ok()) FailStatus(*b, all.status());
    json::array items;
    std::string text;
    for (const auto& x : *all) {
      items.push_back(json::object{{"name", x.name}, {"audience", x.audience}});
      text += x.name + (x.audience.empty() ? "" : "  (" + x.audience + ")") + "\n";
    }
    Print(*b, json::object{{"secrets", std::move(items)}}, text);
  });
}

void AddIdentityCommands(CLI::App& app) {
  AddKeys(app);
  AddAgents(app);
  AddTokens(app);
  AddRevoke(app);
  AddSecrets(app);
}

}  // namespace writ::cli
