import Foundation
import GRDB
import LiftCore

/// The monthly dispatch of the retrofit programme (月度调度) for one place, year and month: what was done this
/// month, this year and in all, against the year's targets, and the ranking of the places one level down
/// (考评通报). Definitions and a worked example: docs/programme.md.
public struct ProgressReport: Sendable, Hashable, Codable {
    /// A place with its name when known.
    public struct Place: Sendable, Hashable, Codable {
        public var code: String
        public var name: String?
        public var level: PlaceCode.Level?
    }

    /// What was done in a period. A unit counts once per measure, in the period of its first step of that kind.
    public struct Counts: Sendable, Hashable, Codable {
        /// Units whose first joint approval (联合审批) falls in the period.
        public var approvals = 0
        /// Units whose first construction start falls in the period.
        public var constructionStarts = 0
        /// Units whose first completion acceptance (竣工验收) falls in the period.
        public var completions = 0
        /// Elevators whose `commissioned_on` falls in the period.
        public var elevatorsInService = 0
        /// Households of the units completed in the period.
        public var householdsBenefited = 0
        /// Subsidies granted in the period, in yuan.
        public var subsidiesGrantedYuan: Decimal = 0

        public init() {}
    }

    /// The year's targets; nil where none is set.
    public struct Targets: Sendable, Hashable, Codable {
        public var approvals: Int?
        public var constructionStarts: Int?
        public var completions: Int?
    }

    /// Year to date over target, 0…(more than 1 when exceeded); nil without a target.
    public struct Shares: Sendable, Hashable, Codable {
        public var approvals: Double?
        public var constructionStarts: Double?
        public var completions: Double?
    }

    /// One place of the level below, ranked.
    public struct RankedPlace: Sendable, Hashable, Codable {
        public var rank: Int
        public var place: Place
        public var unitsByRating: [String: Int]
        public var thisMonth: Counts
        public var yearToDate: Counts
        public var cumulative: Counts
        public var targets: Targets
        public var shares: Shares
    }

    /// One month of the year, for the chart of cumulative progress against the target.
    public struct MonthFigures: Sendable, Hashable, Codable {
        public var month: Int
        public var thisMonth: Counts
        public var yearToDate: Counts
    }

    public var place: Place
    public var year: Int
    public var month: Int
    /// The report covers everything dated before this instant (the first day of the next month, Beijing time).
    public var asOf: Int64
    /// Units surveyed, by rating (`suitable`, `difficult`, `unsuitable`, `unrated`), as the registry holds them now.
    public var unitsByRating: [String: Int]
    public var unitsTotal: Int
    public var thisMonth: Counts
    public var yearToDate: Counts
    public var cumulative: Counts
    public var targets: Targets
    public var shares: Shares
    /// The places one level down, best first by completions against target, then construction starts, then code.
    public var ranking: [RankedPlace]
    public var months: [MonthFigures]
}

/// Builds `ProgressReport`s and keeps the year's targets and the names of places. Obtained from
/// `LiftDatabase.programme`.
public struct Programme: Sendable {
    let database: LiftDatabase

    /// Annual targets of one place (a city or a district).
    public struct Target: Sendable, Hashable, Codable {
        public var year: Int
        public var place: String
        public var approvals: Int?
        public var constructionStarts: Int?
        public var completions: Int?

        public init(year: Int, place: String, approvals: Int? = nil, constructionStarts: Int? = nil, completions: Int? = nil) {
            self.year = year
            self.place = place
            self.approvals = approvals
            self.constructionStarts = constructionStarts
            self.completions = completions
        }
    }

    /// The report for `prefix` (any level; "" for everything), as of the end of `month` of `year`.
    public func report(prefix: String, year: Int, month: Int) throws -> ProgressReport {
        let monthStart = { (m: Int) -> Int64 in
            m > 12 ? CivilDate(year: year + 1, month: 1, day: 1).startEpochMs : CivilDate(year: year, month: m, day: 1).startEpochMs
        }
        let yearStart = monthStart(1)
        let end = monthStart(month + 1)
        let childLength = PlaceCode(prefix)?.level.below?.rawValue ?? (prefix.isEmpty ? 2 : nil)
        return try database.read { db in
            // Per unit: its place and the first day of each counted kind, from the steps' own place index; households
            // only for completions, the one figure that needs them.
            enum Kind { case approval, start, completion, subsidy, inService }
            struct Flow { var place: String; var day: Int64; var households: Int; var kind: Kind; var amountFen: Int64 }
            var flows: [Flow] = []
            let kinds: [String: Kind] = ["joint_approval": .approval, "construction_start": .start, "completion_acceptance": .completion]
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT s.place, s.kind, min(s.day) AS day, CASE WHEN s.kind = 'completion_acceptance'
                    THEN (SELECT coalesce(households, 0) FROM units u WHERE u.unit_id = s.unit_id) ELSE 0 END AS households
                FROM project_steps s INDEXED BY project_steps_place
                WHERE \(PlaceFilter.clause("s.place")) AND s.kind IN ('joint_approval', 'construction_start', 'completion_acceptance') AND s.day < ?
                    AND s.corrected_by IS NULL
                GROUP BY s.unit_id, s.kind
                """), arguments: PlaceFilter.arguments(prefix) + [end]) {
                guard let kind = kinds[row["kind"]] else { continue }
                flows.append(Flow(place: row["place"], day: row["day"], households: row["households"], kind: kind, amountFen: 0))
            }
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT place, day, amount_fen FROM project_steps INDEXED BY project_steps_place
                WHERE \(PlaceFilter.clause("place")) AND kind = 'subsidy_granted' AND day < ? AND corrected_by IS NULL
                """), arguments: PlaceFilter.arguments(prefix) + [end]) {
                flows.append(Flow(place: row["place"], day: row["day"], households: 0, kind: .subsidy, amountFen: row["amount_fen"] ?? 0))
            }
            // Elevators put in service, by their commissioning date.
            let lastDay = CivilDate(epochMs: end - 1).description
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT place, commissioned_on FROM elevators
                WHERE \(PlaceFilter.clause("place")) AND commissioned_on IS NOT NULL AND commissioned_on <= ? AND stage != 'decommissioned'
                """), arguments: PlaceFilter.arguments(prefix) + [lastDay]) {
                guard let date = CivilDate(row["commissioned_on"] as String) else { continue }
                flows.append(Flow(place: row["place"], day: date.startEpochMs, households: 0, kind: .inService, amountFen: 0))
            }

            func counts(_ flows: some Sequence<Flow>, from: Int64, to: Int64) -> ProgressReport.Counts {
                var c = ProgressReport.Counts()
                var fen: Int64 = 0
                for f in flows where f.day >= from && f.day < to {
                    switch f.kind {
                    case .approval: c.approvals += 1
                    case .start: c.constructionStarts += 1
                    case .completion:
                        c.completions += 1
                        c.householdsBenefited += f.households
                    case .subsidy: fen += f.amountFen
                    case .inService: c.elevatorsInService += 1
                    }
                }
                c.subsidiesGrantedYuan = Decimal(fen) / 100
                return c
            }

            // Targets: a place's own row, else the sum of the targets of the places one level down (each its own row
            // or, again, the sum beneath it).
            let targetRows = try Row.fetchAll(db, sql: """
                SELECT * FROM programme_targets WHERE year = ? AND \(PlaceFilter.clause("place"))
                """, arguments: [year] + PlaceFilter.arguments(prefix)).map {
                Target(year: $0["year"], place: $0["place"], approvals: $0["approvals"], constructionStarts: $0["construction_starts"], completions: $0["completions"])
            }
            let ownTargets = Dictionary(targetRows.map { ($0.place, $0) }, uniquingKeysWith: { a, _ in a })
            // Figure by figure: a row's blank figure is the sum beneath, as when the place has no row.
            func targets(of place: String) -> ProgressReport.Targets {
                let own = ownTargets[place]
                if let own, own.approvals != nil, own.constructionStarts != nil, own.completions != nil {
                    return .init(approvals: own.approvals, constructionStarts: own.constructionStarts, completions: own.completions)
                }
                guard let length = PlaceCode(place)?.level.below?.rawValue ?? (place.isEmpty ? 2 : nil) else {
                    return .init(approvals: own?.approvals, constructionStarts: own?.constructionStarts, completions: own?.completions)
                }
                let children = Set(targetRows.map(\.place).filter { $0.count >= length && $0.hasPrefix(place) }.map { String($0.prefix(length)) })
                let below = children.sorted().map(targets(of:))
                func sum(_ values: [Int?]) -> Int? { values.contains(where: { $0 != nil }) ? values.compactMap { $0 }.reduce(0, +) : nil }
                return .init(
                    approvals: own?.approvals ?? sum(below.map(\.approvals)),
                    constructionStarts: own?.constructionStarts ?? sum(below.map(\.constructionStarts)),
                    completions: own?.completions ?? sum(below.map(\.completions)))
            }
            func shares(_ done: ProgressReport.Counts, _ target: ProgressReport.Targets) -> ProgressReport.Shares {
                func share(_ n: Int, _ t: Int?) -> Double? { t.flatMap { $0 > 0 ? Double(n) / Double($0) : nil } }
                return .init(
                    approvals: share(done.approvals, target.approvals), constructionStarts: share(done.constructionStarts, target.constructionStarts),
                    completions: share(done.completions, target.completions))
            }

            // Names of the place and of the places one level down.
            let names = Dictionary(try Row.fetchAll(db.cachedStatement(sql: """
                SELECT code, name FROM place_names WHERE code = ? OR (\(PlaceFilter.clause("code")) AND length(code) = ?)
                """), arguments: [prefix] + PlaceFilter.arguments(prefix) + [childLength ?? 0]).map { ($0["code"] as String, $0["name"] as String) },
                uniquingKeysWith: { a, _ in a })
            func place(_ code: String) -> ProgressReport.Place {
                .init(code: code, name: code.isEmpty ? "全部" : names[code], level: PlaceCode(code)?.level)
            }

            // Units by rating, for the place and for each place one level down.
            let noRatings: [String: Int] = ["suitable": 0, "difficult": 0, "unsuitable": 0, "unrated": 0]
            var ratings = noRatings
            var childRatings: [String: [String: Int]] = [:]
            // Counted per place and rating in the index's order (no sort), then summed here.
            let cursor = try Row.fetchCursor(db.cachedStatement(sql: """
                SELECT place, coalesce(rating, 'unrated') AS rating, count(*) AS n FROM units INDEXED BY units_place
                WHERE \(PlaceFilter.clause("place")) GROUP BY place, rating
                """), arguments: PlaceFilter.arguments(prefix))
            while let row = try cursor.next() {
                let n: Int = row["n"], rating: String = row["rating"], code: String = row["place"]
                ratings[rating, default: 0] += n
                if let childLength, code.utf8.count >= childLength { childRatings[String(code.prefix(childLength)), default: noRatings][rating, default: 0] += n }
            }

            let yearToDate = counts(flows, from: yearStart, to: end)
            let target = targets(of: prefix)
            var ranking: [ProgressReport.RankedPlace] = []
            if let childLength {
                var byChild: [String: [Flow]] = [:]
                for f in flows where f.place.count >= childLength { byChild[String(f.place.prefix(childLength)), default: []].append(f) }
                let childCodes = Set(byChild.keys).union(childRatings.keys)
                    .union(targetRows.map(\.place).filter { $0.count >= childLength }.map { String($0.prefix(childLength)) })
                ranking = childCodes.map { code in
                    let flows = byChild[code] ?? []
                    let done = counts(flows, from: yearStart, to: end)
                    let t = targets(of: code)
                    return .init(
                        rank: 0, place: place(code), unitsByRating: childRatings[code] ?? noRatings, thisMonth: counts(flows, from: monthStart(month), to: end),
                        yearToDate: done, cumulative: counts(flows, from: .min, to: end), targets: t, shares: shares(done, t))
                }.sorted { a, b in
                    let keyA = (a.shares.completions ?? -1, a.shares.constructionStarts ?? -1, a.yearToDate.completions)
                    let keyB = (b.shares.completions ?? -1, b.shares.constructionStarts ?? -1, b.yearToDate.completions)
                    return keyA != keyB ? keyA > keyB : a.place.code < b.place.code
                }
                for index in ranking.indices { ranking[index].rank = index + 1 }
            }
            let months = (1...month).map { m in
                ProgressReport.MonthFigures(
                    month: m, thisMonth: counts(flows, from: monthStart(m), to: monthStart(m + 1)), yearToDate: counts(flows, from: yearStart, to: monthStart(m + 1)))
            }
            return ProgressReport(
                place: place(prefix), year: year, month: month, asOf: end, unitsByRating: ratings, unitsTotal: ratings.values.reduce(0, +),
                thisMonth: counts(flows, from: monthStart(month), to: end), yearToDate: yearToDate, cumulative: counts(flows, from: .min, to: end),
                targets: target, shares: shares(yearToDate, target), ranking: ranking, months: months)
        }
    }

    /// Sets the year's targets of places (a row per place replaces what that place had).
    public func setTargets(_ targets: [Target], by actor: String, at now: Int64) throws {
        for target in targets {
            guard PlaceCode(target.place).map({ $0.level <= .district }) == true else {
                throw RegistryError(.invalid, "place \"\(target.place)\" is not a province, city or district code")
            }
            guard (2000...2100).contains(target.year) else { throw RegistryError(.invalid, "year \(target.year) is outside 2000…2100") }
            for value in [target.approvals, target.constructionStarts, target.completions] where value.map({ !(0...1_000_000).contains($0) }) ?? false {
                throw RegistryError(.invalid, "targets are 0…1000000")
            }
        }
        try database.registryWrite("set \(targets.count) targets") { db in
            for target in targets {
                try db.execute(sql: """
                    INSERT INTO programme_targets(year, place, approvals, construction_starts, completions) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(year, place) DO UPDATE SET approvals = excluded.approvals, construction_starts = excluded.construction_starts,
                        completions = excluded.completions
                    """, arguments: [target.year, target.place, target.approvals, target.constructionStarts, target.completions])
                try LiftDatabase.appendAudit(db, at: now, actor: actor, action: "programme.target", subject: target.place, detail: [
                    "year": String(target.year), "approvals": target.approvals.map(String.init),
                    "construction_starts": target.constructionStarts.map(String.init), "completions": target.completions.map(String.init),
                ])
            }
        }
    }

    /// The targets of a year, by place.
    public func targets(year: Int) throws -> [Target] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM programme_targets WHERE year = ? ORDER BY place", arguments: [year]).map {
                Target(year: $0["year"], place: $0["place"], approvals: $0["approvals"], constructionStarts: $0["construction_starts"], completions: $0["completions"])
            }
        }
    }

    /// Names places (长沙市, 芙蓉区, …) for reports and pages.
    public func setNames(_ names: [(code: String, name: String)]) throws {
        for (code, name) in names {
            guard PlaceCode(code) != nil else { throw RegistryError(.invalid, "\"\(code)\" is not a place code of 2, 4, 6, 9 or 12 digits") }
            guard !name.isEmpty, name.count <= 60, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw RegistryError(.invalid, "the name of \(code) must be 1…60 characters without control characters")
            }
        }
        try database.registryWrite("name \(names.count) places") { db in
            let statement = try db.cachedStatement(sql: "INSERT INTO place_names(code, name) VALUES (?, ?) ON CONFLICT(code) DO UPDATE SET name = excluded.name")
            for (code, name) in names { try statement.execute(arguments: [code, name]) }
            // The map keeps what it counted, names included, until the registry changes.
            try LiftDatabase.bumpRegistryVersion(db)
        }
    }

    /// The name of each named place.
    public func names() throws -> [String: String] {
        try database.read { db in
            Dictionary(try Row.fetchAll(db, sql: "SELECT code, name FROM place_names").map { ($0["code"] as String, $0["name"] as String) },
                       uniquingKeysWith: { a, _ in a })
        }
    }
}

extension LiftDatabase {
    /// The retrofit programme's targets, place names and progress reports.
    public var programme: Programme { Programme(database: self) }
}
