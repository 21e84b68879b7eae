import GRDB

extension LiftDatabase {
    /// The schema's history. Never edit a shipped migration: add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 registry") { db in
            try db.execute(sql: """
                CREATE TABLE contractors (
                    contractor_id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL DEFAULT '',
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE units (
                    unit_id TEXT PRIMARY KEY NOT NULL,
                    region TEXT NOT NULL,
                    address TEXT NOT NULL DEFAULT '',
                    lat REAL, lon REAL,
                    floors INTEGER,
                    rating TEXT CHECK (rating IN ('suitable', 'difficult', 'unsuitable')),
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE INDEX units_region ON units(region);
                -- `id` is the compact key the time-series tables use; `elevator_id` is the registration code.
                CREATE TABLE elevators (
                    id INTEGER PRIMARY KEY,
                    elevator_id TEXT NOT NULL UNIQUE,
                    unit_id TEXT REFERENCES units(unit_id),
                    region TEXT NOT NULL,
                    contractor_id TEXT REFERENCES contractors(contractor_id),
                    commissioned_on TEXT,
                    stage TEXT NOT NULL DEFAULT 'in_service',
                    on_demand INTEGER NOT NULL DEFAULT 0,
                    platform TEXT NOT NULL DEFAULT 'default',
                    registered_at INTEGER NOT NULL,
                    online INTEGER NOT NULL DEFAULT 0,
                    last_seen INTEGER,
                    firmware TEXT
                );
                CREATE INDEX elevators_region ON elevators(region);
                CREATE INDEX elevators_contractor ON elevators(contractor_id);
                """)
        }
        migrator.registerMigration("v1 ingestion") { db in
            try db.execute(sql: """
                -- Hot telemetry: one row per sample in one B-tree ordered by (elevator, ts), so that each
                -- elevator's samples append at its end and time ranges read contiguously. A message received
                -- twice has the same ts and seq: the primary key stores it once.
                CREATE TABLE telemetry (
                    elevator INTEGER NOT NULL,
                    ts INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    received_at INTEGER NOT NULL,
                    floor INTEGER, direction TEXT, speed REAL, load_kg REAL, door TEXT, mode TEXT, occupied INTEGER,
                    motor_temp_c REAL, cabin_temp_c REAL, vibration_mg REAL, level_error_mm REAL, door_close_ms REAL,
                    power TEXT,
                    PRIMARY KEY (elevator, ts, seq)
                ) WITHOUT ROWID;
                CREATE TABLE events (
                    elevator INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    ts INTEGER NOT NULL,
                    received_at INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    code TEXT NOT NULL,
                    state TEXT,
                    floor INTEGER,
                    detail TEXT,
                    technician TEXT,
                    occupied INTEGER,
                    PRIMARY KEY (elevator, seq)
                ) WITHOUT ROWID;
                CREATE INDEX events_time ON events(elevator, ts);
                CREATE TABLE stats (
                    elevator INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    ts INTEGER NOT NULL,
                    received_at INTEGER NOT NULL,
                    trips INTEGER, door_cycles INTEGER, run_hours REAL,
                    PRIMARY KEY (elevator, seq)
                ) WITHOUT ROWID;
                CREATE INDEX stats_time ON stats(elevator, ts);
                CREATE TABLE status_reports (
                    elevator INTEGER NOT NULL,
                    received_at INTEGER NOT NULL,
                    seq INTEGER,
                    ts INTEGER,
                    state TEXT NOT NULL,
                    firmware TEXT
                );
                CREATE INDEX status_reports_elevator ON status_reports(elevator, received_at);
                CREATE TABLE dead_letters (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    topic TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    received_at INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    message TEXT NOT NULL,
                    elevator_id TEXT,
                    replayed_at INTEGER,
                    replay_outcome TEXT
                );
                CREATE INDEX dead_letters_pending ON dead_letters(replayed_at, id);
                -- Per-elevator ingestion counters and the highest seq seen (for gap detection).
                CREATE TABLE ingest_counters (
                    elevator INTEGER PRIMARY KEY,
                    received INTEGER NOT NULL DEFAULT 0,
                    duplicates INTEGER NOT NULL DEFAULT 0,
                    rejected INTEGER NOT NULL DEFAULT 0,
                    gaps INTEGER NOT NULL DEFAULT 0,
                    replayed INTEGER NOT NULL DEFAULT 0,
                    lost INTEGER NOT NULL DEFAULT 0,
                    high_seq INTEGER
                );
                -- Missing seq ranges: open until filled, or recorded as lost after the gap timeout.
                CREATE TABLE seq_gaps (
                    elevator INTEGER NOT NULL,
                    from_seq INTEGER NOT NULL,
                    to_seq INTEGER NOT NULL,
                    opened_at INTEGER NOT NULL,
                    last_request_at INTEGER,
                    requests INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (elevator, from_seq)
                ) WITHOUT ROWID;
                CREATE TABLE lost_ranges (
                    elevator INTEGER NOT NULL,
                    from_seq INTEGER NOT NULL,
                    to_seq INTEGER NOT NULL,
                    opened_at INTEGER NOT NULL,
                    lost_at INTEGER NOT NULL,
                    requests INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("v2 compaction and rollups") { db in
            try db.execute(sql: """
                -- Older telemetry: one compressed chunk per elevator and UTC day (TelemetryChunkCodec).
                CREATE TABLE telemetry_chunks (
                    elevator INTEGER NOT NULL,
                    day INTEGER NOT NULL,
                    from_ts INTEGER NOT NULL,
                    to_ts INTEGER NOT NULL,
                    count INTEGER NOT NULL,
                    data BLOB NOT NULL,
                    PRIMARY KEY (elevator, day)
                ) WITHOUT ROWID;
                CREATE INDEX telemetry_chunks_day ON telemetry_chunks(day);
                -- min, max, sum, count per metric and bucket; level is the bucket width in ms (minute, hour, day).
                CREATE TABLE rollups (
                    level INTEGER NOT NULL,
                    elevator INTEGER NOT NULL,
                    metric INTEGER NOT NULL,
                    bucket INTEGER NOT NULL,
                    min REAL NOT NULL,
                    max REAL NOT NULL,
                    sum REAL NOT NULL,
                    count INTEGER NOT NULL,
                    PRIMARY KEY (level, elevator, metric, bucket)
                ) WITHOUT ROWID;
                -- Minutes with new samples whose rollups must be recomputed.
                CREATE TABLE rollup_dirty (
                    elevator INTEGER NOT NULL,
                    minute INTEGER NOT NULL,
                    PRIMARY KEY (elevator, minute)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v3 dossiers, contracts, terminals, audit") { db in
            try db.execute(sql: """
                -- Regions LiftWatch knows by name; `rural` selects the rural rescue limit, `platform` the
                -- fault-code map of elevators that name none.
                CREATE TABLE regions (
                    region TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL DEFAULT '',
                    rural INTEGER NOT NULL DEFAULT 0,
                    platform TEXT
                );
                -- A unit's stage is its elevator project's stage, also before any elevator exists.
                ALTER TABLE units ADD COLUMN stage TEXT NOT NULL DEFAULT 'surveyed';
                -- The taxonomy key a fault's code resolved to (the code may be a platform's number).
                ALTER TABLE events ADD COLUMN fault TEXT;
                ALTER TABLE elevators ADD COLUMN updated_at INTEGER;
                -- Added to the controller's seq so that a replaced terminal numbering from 1 again continues
                -- the elevator's stored sequence instead of colliding with it.
                ALTER TABLE elevators ADD COLUMN seq_offset INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE elevators ADD COLUMN terminal_id TEXT;
                CREATE TABLE stage_changes (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    unit_id TEXT NOT NULL,
                    elevator_id TEXT,
                    from_stage TEXT,
                    to_stage TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    forced INTEGER NOT NULL DEFAULT 0,
                    reason TEXT
                );
                CREATE INDEX stage_changes_unit ON stage_changes(unit_id, at);
                CREATE INDEX stage_changes_elevator ON stage_changes(elevator_id, at);
                -- Which contractor maintained an elevator when: [starts_at, ends_at), ends_at NULL while current.
                CREATE TABLE contracts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    elevator_id TEXT NOT NULL,
                    contractor_id TEXT NOT NULL,
                    starts_at INTEGER NOT NULL,
                    ends_at INTEGER
                );
                CREATE INDEX contracts_elevator ON contracts(elevator_id, starts_at);
                CREATE INDEX contracts_contractor ON contracts(contractor_id);
                CREATE TABLE terminals (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    elevator_id TEXT NOT NULL,
                    terminal_id TEXT NOT NULL,
                    installed_at INTEGER NOT NULL,
                    removed_at INTEGER,
                    seq_offset INTEGER NOT NULL,
                    note TEXT
                );
                CREATE INDEX terminals_elevator ON terminals(elevator_id, installed_at);
                -- Bumped by every registry change, so that ingestion reloads its snapshot of the registry.
                CREATE TABLE registry_version (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    version INTEGER NOT NULL
                );
                INSERT INTO registry_version VALUES (1, 1);
                -- Append-only and hash-chained: hash = SHA-256 of the entry's fields and the previous hash.
                CREATE TABLE audit_log (
                    seq INTEGER PRIMARY KEY,
                    at INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                );
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
                -- Elevators registered before this migration: their current contract and stage as first records.
                INSERT INTO contracts(elevator_id, contractor_id, starts_at)
                    SELECT elevator_id, contractor_id, registered_at FROM elevators WHERE contractor_id IS NOT NULL;
                INSERT INTO stage_changes(unit_id, elevator_id, from_stage, to_stage, at, actor)
                    SELECT coalesce(unit_id, ''), elevator_id, NULL, stage, registered_at, 'migration'
                    FROM elevators;
                UPDATE units SET stage = coalesce(
                    (SELECT stage FROM elevators WHERE elevators.unit_id = units.unit_id LIMIT 1), 'surveyed');
                """)
        }
        migrator.registerMigration("v4 tickets") { db in
            try db.execute(sql: """
                CREATE TABLE tickets (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    elevator_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    unit_id TEXT,
                    contractor_id TEXT,
                    type TEXT NOT NULL,
                    priority INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    opened_at INTEGER NOT NULL,
                    ack_due_at INTEGER, on_site_due_at INTEGER, resolve_due_at INTEGER, due_at INTEGER,
                    acknowledged_at INTEGER, on_site_at INTEGER, resolved_at INTEGER, closed_at INTEGER, cancelled_at INTEGER,
                    fault TEXT,
                    level TEXT,
                    signal TEXT,
                    occurrences INTEGER NOT NULL DEFAULT 1,
                    overdue INTEGER NOT NULL DEFAULT 0,
                    escalated INTEGER NOT NULL DEFAULT 0,
                    repeat INTEGER NOT NULL DEFAULT 0,
                    callback INTEGER NOT NULL DEFAULT 0,
                    unverified INTEGER NOT NULL DEFAULT 0,
                    reason TEXT NOT NULL,
                    cancel_reason TEXT,
                    breaches TEXT NOT NULL DEFAULT '',
                    updated_at INTEGER NOT NULL
                );
                -- The contract's "one open ticket per (elevator, fault key)", and the same for health signals,
                -- maintenance and connectivity, enforced by the database itself.
                CREATE UNIQUE INDEX tickets_active_fault ON tickets(elevator_id, fault)
                    WHERE fault IS NOT NULL AND status IN ('open', 'acknowledged', 'on_site');
                CREATE UNIQUE INDEX tickets_active_signal ON tickets(elevator_id, signal)
                    WHERE signal IS NOT NULL AND status IN ('open', 'acknowledged', 'on_site');
                CREATE UNIQUE INDEX tickets_active_routine ON tickets(elevator_id, type)
                    WHERE type IN ('maintenance', 'communication') AND status IN ('open', 'acknowledged', 'on_site');
                -- One ticket per inspection anniversary, whatever became of it.
                CREATE UNIQUE INDEX tickets_inspection ON tickets(elevator_id, due_at) WHERE type = 'inspection';
                CREATE INDEX tickets_elevator ON tickets(elevator_id, opened_at);
                CREATE INDEX tickets_contractor ON tickets(contractor_id, status);
                CREATE INDEX tickets_status ON tickets(status, type);
                CREATE INDEX tickets_region ON tickets(region, opened_at);
                -- Every step: who, when, note.
                CREATE TABLE ticket_steps (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
                    at INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    from_status TEXT,
                    to_status TEXT NOT NULL,
                    note TEXT
                );
                CREATE INDEX ticket_steps_ticket ON ticket_steps(ticket_id, id);
                CREATE INDEX events_fault ON events(elevator, fault, ts) WHERE fault IS NOT NULL;
                -- Many elevators of one region silent at once: one incident instead of a ticket each.
                CREATE TABLE incidents (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    region TEXT NOT NULL,
                    opened_at INTEGER NOT NULL,
                    closed_at INTEGER,
                    elevators INTEGER NOT NULL,
                    reason TEXT NOT NULL
                );
                CREATE TABLE webhooks (
                    contractor_id TEXT PRIMARY KEY NOT NULL,
                    url TEXT NOT NULL,
                    secret TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE webhook_deliveries (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    contractor_id TEXT NOT NULL,
                    ticket_id INTEGER NOT NULL,
                    body BLOB NOT NULL,
                    status TEXT NOT NULL DEFAULT 'pending',
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL,
                    last_status INTEGER,
                    last_error TEXT,
                    created_at INTEGER NOT NULL,
                    delivered_at INTEGER
                );
                CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(status, next_attempt_at);
                """)
        }
        migrator.registerMigration("v5 api tokens") { db in
            try db.execute(sql: """
                -- Only a token's SHA-256 is kept; the token itself is shown once, when created.
                CREATE TABLE api_tokens (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    hash TEXT NOT NULL UNIQUE,
                    role TEXT NOT NULL CHECK (role IN ('admin', 'regulator', 'contractor')),
                    region_prefix TEXT,
                    contractor_id TEXT,
                    label TEXT NOT NULL DEFAULT '',
                    created_at INTEGER NOT NULL,
                    revoked_at INTEGER
                );
                """)
        }
        migrator.registerMigration("v6 rescue integrity") { db in
            try db.execute(sql: """
                -- The car's speed as the event said it, and the class decided on arrival (FaultAssessment).
                ALTER TABLE events ADD COLUMN speed REAL;
                ALTER TABLE events ADD COLUMN fault_class TEXT;
                ALTER TABLE events ADD COLUMN class_basis TEXT;
                -- The ticket a raised fault opened or counted on, written in the ticket's own transaction. NULL: not
                -- handled yet; the scheduler's sweep finds these and tickets them (v1.1 §11.6).
                ALTER TABLE events ADD COLUMN ticket_id INTEGER;
                -- Raised before this migration: handled then (0: no link kept).
                UPDATE events SET ticket_id = 0 WHERE fault IS NOT NULL;
                CREATE INDEX events_unticketed ON events(received_at) WHERE ticket_id IS NULL AND fault IS NOT NULL AND state = 'raised';
                -- The controller's time of the fault; opened_at is LiftWatch's time of arrival (v1.1 §11.1).
                ALTER TABLE tickets ADD COLUMN fault_at INTEGER;
                UPDATE tickets SET fault_at = opened_at WHERE fault IS NOT NULL;
                -- Messages to the broker, written in the same transaction as the change they announce, and
                -- published until the broker acknowledges them (also after a restart).
                CREATE TABLE mqtt_outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    topic TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    ticket_id INTEGER,
                    priority INTEGER NOT NULL DEFAULT 3,
                    created_at INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL,
                    delivered_at INTEGER,
                    last_error TEXT
                );
                CREATE INDEX mqtt_outbox_pending ON mqtt_outbox(priority, id) WHERE delivered_at IS NULL;
                CREATE INDEX mqtt_outbox_delivered ON mqtt_outbox(delivered_at) WHERE delivered_at IS NOT NULL;
                ALTER TABLE webhook_deliveries ADD COLUMN priority INTEGER NOT NULL DEFAULT 3;
                CREATE INDEX webhook_deliveries_log ON webhook_deliveries(created_at);
                -- Dead letters: retention by age, and a cap per elevator.
                CREATE INDEX dead_letters_received ON dead_letters(received_at);
                CREATE INDEX dead_letters_elevator ON dead_letters(elevator_id, id);
                -- When the last status message came: a controller offline by its will is online again once heard
                -- from after it; one that never sends a status is online by its traffic (Connectivity).
                ALTER TABLE elevators ADD COLUMN status_at INTEGER;
                UPDATE elevators SET status_at = last_seen WHERE online = 0 AND last_seen IS NOT NULL;
                -- The topic filters each of LiftWatch's sessions last subscribed to: a filter dropped from the
                -- configuration is unsubscribed from the persistent session.
                CREATE TABLE broker_subscriptions (
                    client_id TEXT NOT NULL,
                    filter TEXT NOT NULL,
                    PRIMARY KEY (client_id, filter)
                ) WITHOUT ROWID;
                -- Inspections are due at the end of their day (Beijing time), as maintenance is.
                UPDATE tickets SET due_at = due_at + 86399999 WHERE type = 'inspection';
                -- The health trends found by the last evaluation of each elevator (the scheduler's hourly pass): what
                -- every view of an elevator's health reads, so that a list and a single elevator agree.
                CREATE TABLE health_trends (
                    elevator_id TEXT NOT NULL,
                    signal TEXT NOT NULL,
                    recent REAL NOT NULL,
                    baseline REAL NOT NULL,
                    description TEXT NOT NULL,
                    evaluated_at INTEGER NOT NULL,
                    PRIMARY KEY (elevator_id, signal)
                ) WITHOUT ROWID;
                -- Web sessions: the cookie holds a random session id (its hash kept here), never the API token.
                CREATE TABLE web_sessions (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    hash TEXT NOT NULL UNIQUE,
                    token_id INTEGER NOT NULL REFERENCES api_tokens(id),
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    revoked_at INTEGER
                );
                """)
        }
        migrator.registerMigration("v7 outbox snapshots") { db in
            try db.execute(sql: """
                -- A later snapshot of a ticket supersedes an earlier one still pending (Outbox, webhook deliveries).
                CREATE INDEX mqtt_outbox_ticket ON mqtt_outbox(ticket_id, topic, id) WHERE ticket_id IS NOT NULL;
                ALTER TABLE mqtt_outbox ADD COLUMN superseded_at INTEGER;
                CREATE INDEX webhook_deliveries_ticket ON webhook_deliveries(ticket_id, contractor_id, id);
                -- Every stored change counts: receivers keep the highest revision of a ticket they have seen.
                ALTER TABLE tickets ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
                """)
        }
        migrator.registerMigration("v8 places") { db in
            try db.execute(sql: """
                -- Five levels of government: a unit may carry its street or community code, and everything a scope
                -- matches on carries `place`, the most precise code known (the area code, else the region).
                ALTER TABLE units ADD COLUMN area_code TEXT;
                ALTER TABLE units ADD COLUMN estate_id TEXT;
                ALTER TABLE units ADD COLUMN estate_name TEXT;
                ALTER TABLE units ADD COLUMN building TEXT;
                ALTER TABLE units ADD COLUMN unit_no TEXT;
                ALTER TABLE units ADD COLUMN households INTEGER;
                ALTER TABLE units ADD COLUMN place TEXT NOT NULL DEFAULT '';
                UPDATE units SET place = region;
                CREATE INDEX units_place ON units(place);
                CREATE INDEX units_estate ON units(estate_id) WHERE estate_id IS NOT NULL;
                ALTER TABLE elevators ADD COLUMN place TEXT NOT NULL DEFAULT '';
                UPDATE elevators SET place = coalesce((SELECT units.place FROM units WHERE units.unit_id = elevators.unit_id), region);
                CREATE INDEX elevators_place ON elevators(place);
                ALTER TABLE tickets ADD COLUMN place TEXT NOT NULL DEFAULT '';
                UPDATE tickets SET place = coalesce((SELECT elevators.place FROM elevators WHERE elevators.elevator_id = tickets.elevator_id), region);
                CREATE INDEX tickets_place ON tickets(place, opened_at);
                -- The officer role (street and community offices): the role check is rebuilt to admit it.
                CREATE TABLE api_tokens_v8 (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    hash TEXT NOT NULL UNIQUE,
                    role TEXT NOT NULL CHECK (role IN ('admin', 'regulator', 'contractor', 'officer')),
                    region_prefix TEXT,
                    contractor_id TEXT,
                    label TEXT NOT NULL DEFAULT '',
                    created_at INTEGER NOT NULL,
                    revoked_at INTEGER
                );
                INSERT INTO api_tokens_v8 SELECT id, hash, role, region_prefix, contractor_id, label, created_at, revoked_at FROM api_tokens;
                DROP TABLE api_tokens;
                ALTER TABLE api_tokens_v8 RENAME TO api_tokens;
                """)
        }
        migrator.registerMigration("v9 programme") { db in
            try db.execute(sql: """
                -- A unit's elevator project (加装项目), step by step (ProjectRecords). Steps are appended (v11: a
                -- correction voids one by setting its corrected_by). `day` is the start of the step's date (Beijing time).
                CREATE TABLE project_steps (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    unit_id TEXT NOT NULL REFERENCES units(unit_id),
                    kind TEXT NOT NULL,
                    on_date TEXT NOT NULL,
                    day INTEGER NOT NULL,
                    number TEXT,
                    amount_fen INTEGER,
                    vote TEXT,
                    funding TEXT,
                    document_numbers TEXT NOT NULL DEFAULT '[]',
                    note TEXT,
                    recorded_at INTEGER NOT NULL,
                    actor TEXT NOT NULL
                );
                CREATE INDEX project_steps_unit ON project_steps(unit_id, day);
                CREATE INDEX project_steps_kind ON project_steps(kind, day);
                -- Files stored once by their SHA-256 (PDF, JPEG, PNG), and which unit (and step) each belongs to.
                CREATE TABLE documents (
                    sha256 TEXT PRIMARY KEY NOT NULL,
                    media_type TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    content BLOB NOT NULL,
                    stored_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE project_documents (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    unit_id TEXT NOT NULL REFERENCES units(unit_id),
                    step_id INTEGER REFERENCES project_steps(id),
                    sha256 TEXT NOT NULL REFERENCES documents(sha256),
                    name TEXT NOT NULL,
                    attached_at INTEGER NOT NULL,
                    actor TEXT NOT NULL
                );
                CREATE INDEX project_documents_unit ON project_documents(unit_id, id);
                CREATE INDEX project_documents_sha ON project_documents(sha256);
                -- Annual targets per city or district (目标任务), for the monthly dispatch.
                CREATE TABLE programme_targets (
                    year INTEGER NOT NULL,
                    place TEXT NOT NULL,
                    approvals INTEGER,
                    construction_starts INTEGER,
                    completions INTEGER,
                    PRIMARY KEY (year, place)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v10 place names") { db in
            try db.execute(sql: """
                -- Names of provinces, cities, districts, streets and communities, for reports and pages.
                CREATE TABLE place_names (code TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v11 programme at province size") { db in
            try db.execute(sql: """
                -- A unit's elevator is looked up on every project step and stage move: without it, a scan of the fleet.
                CREATE INDEX elevators_unit ON elevators(unit_id);
                -- The progress report reads steps by place: each step carries its unit's place (kept when the unit moves).
                ALTER TABLE project_steps ADD COLUMN place TEXT NOT NULL DEFAULT '';
                UPDATE project_steps SET place = coalesce((SELECT units.place FROM units WHERE units.unit_id = project_steps.unit_id), '');
                -- A correction (kind 'correction') names the step it voids; the voided step points back to it.
                ALTER TABLE project_steps ADD COLUMN corrects INTEGER REFERENCES project_steps(id);
                ALTER TABLE project_steps ADD COLUMN corrected_by INTEGER REFERENCES project_steps(id);
                DROP INDEX project_steps_kind;
                CREATE INDEX project_steps_place ON project_steps(place, kind, day, unit_id, corrected_by);
                -- Units by rating inside a place, from the index alone.
                DROP INDEX units_place;
                CREATE INDEX units_place ON units(place, rating);
                """)
        }
        migrator.registerMigration("v12 one map at province size") { db in
            try db.execute(sql: """
                -- The map counts units per place, rating and stage from this index alone; the report by rating too.
                DROP INDEX units_place;
                CREATE INDEX units_place ON units(place, rating, stage, lat, lon);
                -- Lists page through a region's units in (place, unit_id) order: each page one range of this index.
                CREATE INDEX units_list ON units(place, unit_id);
                -- Zoomed in, the map reads the units inside a box.
                CREATE INDEX units_box ON units(lat, lon);
                -- The figures' windows over a province's tickets: by type and time, what they read carried along.
                CREATE INDEX tickets_type_opened ON tickets(type, opened_at, place, status, acknowledged_at, on_site_at, resolved_at);
                CREATE INDEX tickets_type_due ON tickets(type, due_at, place, status, resolved_at, closed_at);
                CREATE INDEX tickets_unverified ON tickets(closed_at, place) WHERE unverified = 1;
                CREATE INDEX tickets_flagged ON tickets(opened_at, place, elevator_id) WHERE repeat = 1 OR callback = 1;
                CREATE INDEX tickets_overdue ON tickets(due_at, place) WHERE overdue = 1 AND status IN ('open', 'acknowledged', 'on_site');
                """)
        }
        migrator.registerMigration("v13 rollups for years") { db in
            try db.execute(sql: """
                -- Hour rollups, one compressed blob per elevator and UTC day (HourRollupCodec), instead of a row per
                -- hour and metric: they live as long as the day rollups, for years. A rowid table: its blobs of about
                -- 1 KB fit in its pages, where a WITHOUT ROWID row over 1,004 bytes takes an overflow page of its own.
                CREATE TABLE rollup_hours (
                    elevator INTEGER NOT NULL,
                    day INTEGER NOT NULL,
                    data BLOB NOT NULL,
                    PRIMARY KEY (elevator, day)
                );
                CREATE INDEX rollup_hours_day ON rollup_hours(day);
                -- Marks the store keeps about itself: `minute_rollups_from`, before which minute rollups are gone
                -- and minute steps are computed from the raw samples.
                CREATE TABLE store_marks (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID;
                """)
            try LiftDatabase.packHourRollupRows(in: db)
        }
        migrator.registerMigration("v14 field work") { db in
            try db.execute(sql: """
                -- A rescue ticket's dispatch record (RescueRecord as JSON): steps' times, escalation, passengers, cause.
                ALTER TABLE tickets ADD COLUMN rescue TEXT;
                -- The code printed in the car that the rescue hotline asks for (96366 and a 6-digit code in Hunan).
                ALTER TABLE elevators ADD COLUMN rescue_code TEXT;
                CREATE UNIQUE INDEX elevators_rescue_code ON elevators(rescue_code) WHERE rescue_code IS NOT NULL;
                -- The property manager (使用单位) answering for each elevator by law, with its safety officer (电梯安全员).
                CREATE TABLE property_managers (
                    manager_id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    phone TEXT,
                    safety_officer TEXT NOT NULL,
                    safety_officer_phone TEXT,
                    updated_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                ALTER TABLE elevators ADD COLUMN property_manager_id TEXT;
                CREATE INDEX elevators_property_manager ON elevators(property_manager_id) WHERE property_manager_id IS NOT NULL;
                -- Their duties as records (日管控、周排查、月调度): one per duty, period and (daily checks) elevator.
                CREATE TABLE manager_duties (
                    manager_id TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    period TEXT NOT NULL,
                    elevator_id TEXT NOT NULL DEFAULT '',
                    done_at INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    note TEXT,
                    PRIMARY KEY (manager_id, kind, period, elevator_id)
                ) WITHOUT ROWID;
                -- The hazard register: each hazard found, its fix-by date, and when it was fixed.
                CREATE TABLE hazards (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    manager_id TEXT NOT NULL,
                    elevator_id TEXT NOT NULL,
                    found_at INTEGER NOT NULL,
                    description TEXT NOT NULL,
                    fix_by INTEGER NOT NULL,
                    fixed_at INTEGER,
                    fixed_note TEXT,
                    actor TEXT NOT NULL
                );
                CREATE INDEX hazards_open ON hazards(manager_id, fix_by) WHERE fixed_at IS NULL;
                -- The property_manager role: the role check is rebuilt to admit it, with the manager it speaks for.
                CREATE TABLE api_tokens_v14 (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    hash TEXT NOT NULL UNIQUE,
                    role TEXT NOT NULL CHECK (role IN ('admin', 'regulator', 'contractor', 'officer', 'property_manager')),
                    region_prefix TEXT,
                    contractor_id TEXT,
                    label TEXT NOT NULL DEFAULT '',
                    created_at INTEGER NOT NULL,
                    revoked_at INTEGER,
                    manager_id TEXT
                );
                INSERT INTO api_tokens_v14(id, hash, role, region_prefix, contractor_id, label, created_at, revoked_at)
                    SELECT id, hash, role, region_prefix, contractor_id, label, created_at, revoked_at FROM api_tokens;
                DROP TABLE api_tokens;
                ALTER TABLE api_tokens_v14 RENAME TO api_tokens;
                """)
        }
        migrator.registerMigration("v15 maintenance records") { db in
            try db.execute(sql: """
                -- Contractors' technicians and their certificates (set by an administrator).
                CREATE TABLE technicians (
                    technician_id TEXT PRIMARY KEY NOT NULL,
                    contractor_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    certificate_no TEXT NOT NULL,
                    certificate_expires_on TEXT NOT NULL,
                    updated_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX technicians_contractor ON technicians(contractor_id);
                -- Who uploaded which photo (the bytes are in documents, once per SHA-256), for ownership and quotas.
                CREATE TABLE photo_uploads (
                    sha256 TEXT NOT NULL,
                    contractor_id TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    uploaded_at INTEGER NOT NULL,
                    PRIMARY KEY (sha256, contractor_id)
                ) WITHOUT ROWID;
                CREATE INDEX photo_uploads_recent ON photo_uploads(contractor_id, uploaded_at);
                -- One electronic maintenance record per maintenance ticket.
                CREATE TABLE maintenance_records (
                    ticket_id INTEGER PRIMARY KEY,
                    client_key TEXT NOT NULL,
                    contractor_id TEXT NOT NULL,
                    technicians TEXT NOT NULL,
                    check_in_at INTEGER NOT NULL,
                    check_out_at INTEGER NOT NULL,
                    lat REAL,
                    lon REAL,
                    items TEXT NOT NULL,
                    photos TEXT NOT NULL,
                    flags TEXT NOT NULL,
                    flag_reasons TEXT NOT NULL,
                    submitted_at INTEGER NOT NULL,
                    submitted_by TEXT NOT NULL,
                    confirmed_at INTEGER,
                    confirmed_by TEXT
                );
                CREATE INDEX maintenance_records_check_in ON maintenance_records(check_in_at);
                CREATE INDEX maintenance_records_contractor ON maintenance_records(contractor_id, check_in_at);
                -- Since when the elevator's property manager has been its manager: duties are owed from then on.
                ALTER TABLE elevators ADD COLUMN property_manager_since INTEGER;
                UPDATE elevators SET property_manager_since = (SELECT updated_at FROM property_managers p WHERE p.manager_id = elevators.property_manager_id)
                  WHERE property_manager_id IS NOT NULL;
                """)
        }
        return migrator
    }
}
