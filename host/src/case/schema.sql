-- interdict case database, schema version 1.
-- One SQLite file per case (case.db) beside a content-addressed artifact store (artifacts/ab/cd/<sha256>).
-- Tables only grow: new columns at the end, new tables; schema_version in case_info says which.

PRAGMA foreign_keys = ON;

-- key/value facts about the case: schema_version, case_uuid, case_number, examiner, description,
-- created_utc, tool_version.
CREATE TABLE IF NOT EXISTS case_info (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Every stored blob, by content. The file lives at artifacts/<sha256[0:2]>/<sha256[2:4]>/<sha256>.
CREATE TABLE IF NOT EXISTS artifacts (
  sha256      TEXT PRIMARY KEY,
  size        INTEGER NOT NULL,
  md5         TEXT,
  sha1        TEXT,
  media_type  TEXT NOT NULL DEFAULT 'application/octet-stream',
  created_utc TEXT NOT NULL
);

-- A source of evidence: a handset acquisition, an image file, a folder of seized files.
CREATE TABLE IF NOT EXISTS evidence (
  id              INTEGER PRIMARY KEY,
  uuid            TEXT NOT NULL UNIQUE,
  label           TEXT NOT NULL,              -- evidence number / exhibit reference
  kind            TEXT NOT NULL,              -- 'usb-acquisition', 'image-file', 'file', 'folder'
  source          TEXT NOT NULL,              -- 'usb:05c6:9008:SERIAL', 'file:/path'
  artifact_sha256 TEXT REFERENCES artifacts(sha256),  -- the image or file, when stored
  added_utc       TEXT NOT NULL,
  details_json    TEXT NOT NULL DEFAULT '{}'  -- acquisition summary: device identity, hashes, bad ranges, ...
);

-- Where an artifact came from: its name and location chain within the evidence
-- ("handset.img@0x8000000[gpt:userdata] > ext4:/system/app/x.apk"). One artifact may have many names.
CREATE TABLE IF NOT EXISTS artifact_names (
  id              INTEGER PRIMARY KEY,
  artifact_sha256 TEXT NOT NULL REFERENCES artifacts(sha256),
  evidence_id     INTEGER REFERENCES evidence(id),
  parent_sha256   TEXT,                       -- the artifact it was extracted from, if any
  name            TEXT NOT NULL,
  location        TEXT NOT NULL DEFAULT '',
  role            TEXT NOT NULL DEFAULT 'evidence', -- 'evidence', 'extracted', 'image', 'log', 'thumbnail', 'overlay'
  job_id          INTEGER,                    -- the job that produced it, if any
  created_utc     TEXT NOT NULL
);

-- Every plugin run against an input, with its outcome. Failures are kept, never hidden.
-- jobs.runner (canonical JSON: host, boot_id, pid_namespace, pid, pid_start_ticks) tells a job left
-- 'running' by a process that died from one still running; see CaseStore::Open.
CREATE TABLE IF NOT EXISTS jobs (
  id              INTEGER PRIMARY KEY,
  plugin_id       TEXT NOT NULL,
  plugin_version  TEXT NOT NULL,
  input_sha256    TEXT,
  evidence_id     INTEGER REFERENCES evidence(id),
  params_json     TEXT NOT NULL DEFAULT '{}',
  pack_digests    TEXT NOT NULL DEFAULT '{}', -- rule/template pack name -> sha256
  -- 'completed', 'corrupt-input', 'crashed', 'timeout', 'memory-limit', 'seccomp-violation',
  -- 'cpu-limit', 'plugin-error', 'quarantined', 'cancelled', 'interrupted', 'running'
  outcome         TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 1,
  message         TEXT NOT NULL DEFAULT '',
  started_utc     TEXT NOT NULL,
  finished_utc    TEXT,
  findings_count  INTEGER NOT NULL DEFAULT 0,
  runner          TEXT NOT NULL DEFAULT ''  -- since v2: JSON naming the process that began the job
);

-- One result of a plugin: a YARA hit, a mesh match, a corruption notice, a limit hit.
CREATE TABLE IF NOT EXISTS findings (
  id              INTEGER PRIMARY KEY,
  job_id          INTEGER REFERENCES jobs(id),
  evidence_id     INTEGER REFERENCES evidence(id),
  artifact_sha256 TEXT,
  plugin_id       TEXT NOT NULL,
  plugin_version  TEXT NOT NULL,
  kind            TEXT NOT NULL,              -- 'yara-match', 'mesh-match', 'corruption', 'limit', 'timeout', ...
  severity        TEXT NOT NULL DEFAULT 'info', -- 'info', 'notice', 'warning', 'high'
  location        TEXT NOT NULL DEFAULT '',   -- location chain
  summary         TEXT NOT NULL DEFAULT '',
  json            TEXT NOT NULL,              -- the full finding as emitted by the plugin
  created_utc     TEXT NOT NULL
);

-- Append-only, hash-chained audit log.
-- entry_hash = SHA-256(prev_hash || "\n" || canonical JSON of {seq,time_utc,actor,action,details}).
CREATE TABLE IF NOT EXISTS audit (
  seq          INTEGER PRIMARY KEY,
  time_utc     TEXT NOT NULL,
  actor        TEXT NOT NULL,
  action       TEXT NOT NULL,
  details_json TEXT NOT NULL,
  prev_hash    TEXT NOT NULL,
  entry_hash   TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;

-- Signatures over the chain head (Ed25519 lab key).
CREATE TABLE IF NOT EXISTS audit_seals (
  id          INTEGER PRIMARY KEY,
  seq         INTEGER NOT NULL,               -- the audit record the seal covers up to
  head_hash   TEXT NOT NULL,
  public_key  TEXT NOT NULL,
  signature   TEXT NOT NULL,
  time_utc    TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS findings_by_evidence ON findings(evidence_id);
CREATE INDEX IF NOT EXISTS findings_by_artifact ON findings(artifact_sha256);
CREATE INDEX IF NOT EXISTS names_by_artifact ON artifact_names(artifact_sha256);
