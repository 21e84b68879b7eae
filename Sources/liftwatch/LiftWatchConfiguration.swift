import LiftCluster
import LiftCore
import LiftMQTT
/// Every setting of `liftwatch`, with the embedded defaults.
///
/// Filled in one place, `ConfigurationLoader`, from (highest first) command-line flags, `LIFTWATCH_*`
/// environment variables, the YAML file (`config/liftwatch.yaml` by default), and these defaults. Nothing
/// deeper in the program reads configuration sources: it is handed the parts of this struct it needs.
struct LiftWatchConfiguration: Sendable, Equatable {
    struct Broker: Sendable, Equatable {
        /// Broker host; empty means: start a local mosquitto on loopback (`embeddedPort`) and use it.
        var host = ""
        var port = 1883
        /// Port of the mosquitto that `serve` starts itself when `host` is empty.
        var embeddedPort = 18830
        /// Configuration the embedded mosquitto starts from.
        var embeddedConfigFile = "config/mosquitto.conf"
        /// Fixed, so the broker keeps our persistent session across restarts.
        var clientID = "liftwatch"
        var username = ""
        var password = ""
        /// The events session's account; empty: `username`. Where the broker binds client ids to usernames (the
        /// production configuration), each session needs an account of its own: `liftwatch-events`.
        var eventsUsername = ""
        /// The command line's account; empty: `username` (production: `liftwatch-cli`).
        var cliUsername = ""
        /// `3.1.1` or `5`.
        var protocolVersion = "3.1.1"
        var keepAliveSeconds = 30
        var tlsCAFile = ""
        var tlsCertFile = ""
        var tlsKeyFile = ""
        /// Topic filters; never LiftWatch's own `replay` topic.
        var subscriptions = ["lift/+/+/telemetry", "lift/+/+/event", "lift/+/+/stats", "lift/+/+/status"]
        /// Take the `…/event` filters on a second session (client id `{client_id}-events`), so that fault
        /// events never queue at the broker behind telemetry; tickets and replay requests go out on it too.
        var separateEventSession = true
        /// Messages that may wait between the network thread and ingestion.
        var receiveBuffer = 20_000
        /// Read each session's socket through a 64 KiB buffer (plain TCP; `MQTTConfiguration.bufferedReads`).
        var bufferedReads = true
        /// Other nodes of a clustered broker (`host:port`), tried in turn when `host` is down.
        var alternates: [BrokerAddress] = []
    }

    struct Database: Sendable, Equatable {
        var path = "var/liftwatch.sqlite"
    }

    struct HTTP: Sendable, Equatable {
        var host = "127.0.0.1"
        var port = 8080
        /// The OpenAPI document served at /api/v1/openapi.yaml.
        var openAPIFile = "docs/openapi.yaml"
        /// The directory of the map's outlines: `hunan-cities.geojson` and `hunan-districts.geojson`.
        var outlinesDirectory = "config/geo"
        /// Map tile URL template ({z}/{x}/{y}) where a tile server exists; empty: no tiles, outlines only.
        var mapTileURL = ""
        /// Mark the pages' session cookie Secure always (it is whenever a request came over TLS, or a proxy says so).
        var secureCookies = false
        /// Reverse proxies (their addresses as LiftWatch sees them) whose X-Forwarded-For names the client.
        var trustedProxies: [String] = []
    }

    struct Ingest: Sendable, Equatable {
        var batchSize = 20_000
        var gapFirstRequestMs = 2_000
        var gapRequestIntervalSeconds = 30
        var gapRequestsPerSecond = 20
        var gapTimeoutSeconds = 600
        /// Events one elevator may send per minute (sustained); past it, repeats become dead letters.
        var eventsPerMinute = 120
        /// Events one elevator may send in a burst above the sustained rate.
        var eventBurst = 60
        /// Dead letters kept per elevator; past it, the oldest go (they are counted all the same).
        var deadLettersPerElevator = 10_000
    }

    /// The residents' page of each elevator (the code in its car).
    struct Residents: Sendable, Equatable {
        /// The national rescue hotline, for places without their own.
        var rescueHotline = "96333"
        /// "PREFIX:NUMBER", the longest matching place prefix winning (Hunan's 96366 by default).
        var rescueHotlines = ["43:96366"]
        /// "PREFIX:DIGITS": how long the rescue code printed in each car is there (Hunan: 6).
        var rescueCodeDigits = ["43:6"]
        /// Where residents' phones reach LiftWatch, for the code on each car's sign ("https://…"); empty: the
        /// address the sign was asked for at.
        var publicURL = ""
        var reportsPerElevatorHour = 5
        var reportsPerAddressHour = 3
    }

    /// How long each class of record is kept, in days (0 = for ever).
    struct Retention: Sendable, Equatable {
        var rawTelemetryDays = 90
        /// Hour and day rollups.
        var rollupDays = 3_650
        /// Minute rollups (older minutes are computed from the raw samples).
        var minuteRollupDays = 2
        var eventDays = 3_650
        var ticketDays = 3_650
        var dossierDays = 0
        /// Dead letters, replayed or not.
        var deadLetterDays = 90
    }

    /// SLA deadlines (minutes) that regions may override; see spec section 5.
    struct SLA: Sendable, Equatable {
        var rescueAckMinutes = 3
        var rescueOnSiteMinutes = 30
        /// A rescue escalated to the rescue station goes to the fire brigade (119) when nobody is on site this long after.
        var rescueFireBrigadeAfterMinutes = 15
        var ruralRescueOnSiteMinutes = 60
        /// Region prefixes (2, 4 or 6 digits) counted as rural.
        var ruralRegions: [String] = []
        var safetyAckMinutes = 15
        var safetyOnSiteMinutes = 120
        var repairOnSiteHours = 24
        var minorResolveHours = 72
        var communicationOnSiteHours = 24
        var predictiveResolveDays = 7
        var offlineThresholdMinutes = 5
        /// `PREFIX:key=value` entries: a region prefix's own value for one of the deadlines above, e.g.
        /// `4306:rescue_on_site_minutes=45`. The longest matching prefix wins, field by field.
        var regionOverrides: [String] = []

        /// The deadline keys a region may override, with the ticket type and deadline they set, their unit in
        /// milliseconds and their range.
        static let overridable: [String: (type: TicketType, deadline: Deadline, unit: Int64, range: ClosedRange<Int>)] = [
            "rescue_ack_minutes": (.rescue, .acknowledge, 60_000, 1...1_440),
            "rescue_on_site_minutes": (.rescue, .onSite, 60_000, 1...1_440),
            "safety_ack_minutes": (.safetyRepair, .acknowledge, 60_000, 1...1_440),
            "safety_on_site_minutes": (.safetyRepair, .onSite, 60_000, 1...10_080),
            "repair_on_site_hours": (.repair, .onSite, 3_600_000, 1...720),
            "minor_resolve_hours": (.minorRepair, .resolve, 3_600_000, 1...2_160),
            "communication_on_site_hours": (.communication, .onSite, 3_600_000, 1...720),
            "predictive_resolve_days": (.predictive, .resolve, 86_400_000, 1...365),
        ]

        /// Which deadline of a ticket type an override sets.
        enum Deadline: Sendable {
            case acknowledge, onSite, resolve
            func set(_ value: Int64, in limits: inout SLAPolicy.Limits) {
                switch self {
                case .acknowledge: limits.acknowledgeMs = value
                case .onSite: limits.onSiteMs = value
                case .resolve: limits.resolveMs = value
                }
            }
        }
    }

    /// The maintenance scheduler (spec sections 5 and 6).
    struct Scheduler: Sendable, Equatable {
        /// Seconds between scheduler passes (deadlines, connectivity, maintenance, inspections).
        var passIntervalSeconds = 10
        /// A maintenance ticket opens this many days before its due date.
        var maintenanceOpenDaysBefore = 3
        /// Approved maximum interval of on-demand maintenance.
        var onDemandMaximumDays = 30
        /// An inspection ticket opens this many days before the anniversary.
        var inspectionOpenDaysBefore = 30
        /// An area incident opens when at least this many elevators of one region, and at least
        /// `outageSharePercent` of those heard from, fall silent within `outageWindowSeconds`.
        var outageMinimumElevators = 3
        var outageSharePercent = 50
        var outageWindowSeconds = 60
        /// Health trends are evaluated this often.
        var trendIntervalMinutes = 60
        /// Trend thresholds (JSON); missing keys keep their defaults.
        var healthThresholdsFile = "config/health.json"
        /// Maintenance checklists per elevator type and level (JSON).
        var checklistsFile = "config/maintenance-checklists.json"
        /// A maintenance record is flagged when shorter than these minutes (half-monthly, quarterly, half-yearly,
        /// annual), checked in farther than this from the unit, or when one technician has more visits that day.
        var visitMinimumMinutes = [30, 45, 60, 90]
        var visitMaximumDistanceMetres = 500
        var visitsPerTechnicianDay = 8
    }

    /// Contractors' webhooks.
    struct Webhooks: Sendable, Equatable {
        /// Let webhooks target loopback and private addresses (refused by default).
        var allowPrivateTargets = false
    }

    var broker = Broker()
    /// The cluster profile (docs/operations.md); off unless `cluster.lease_endpoints` names etcd.
    var cluster = ClusterConfiguration()
    var webhooks = Webhooks()
    var database = Database()
    var http = HTTP()
    var ingest = Ingest()
    var retention = Retention()
    var residents = Residents()
    var sla = SLA()
    var scheduler = Scheduler()
    var faultCodesDirectory = "config/fault-codes"
    /// `REGION_PREFIX=platform` pairs: the numbering of a region's elevators that name no platform of their own.
    var regionPlatforms: [String] = []
    /// trace, debug, info, notice, warning, error, critical.
    var logLevel = "info"
    /// `serve` caps glibc's malloc arenas at this many (0: glibc's own limit, 8 per core). Each thread that meets
    /// contention gets an arena, and memory freed in one is not reused by another, so resident memory climbs for
    /// minutes before it levels off. `MALLOC_ARENA_MAX` in the environment, when set, wins.
    var mallocArenaMax = 2
}
