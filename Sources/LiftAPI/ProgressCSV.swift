import Foundation
import LiftStore

/// The monthly dispatch as the API and the command line give it: JSON, or CSV with a row for the place and one per
/// place one level down in rank order (the 考评通报 table).
public enum ProgressCSV {
    public static func json(_ report: ProgressReport) throws -> Data {
        try JSONEncoder.snakeCase.encode(report)
    }

    static let measures: [(name: String, value: @Sendable (ProgressReport.Counts) -> String)] = [
        ("approvals", { String($0.approvals) }), ("construction_starts", { String($0.constructionStarts) }),
        ("completions", { String($0.completions) }), ("elevators_in_service", { String($0.elevatorsInService) }),
        ("households_benefited", { String($0.householdsBenefited) }), ("subsidies_granted_yuan", { "\($0.subsidiesGrantedYuan)" }),
    ]

    public static var header: [String] {
        ["rank", "place", "name", "units", "suitable", "difficult", "unsuitable"]
            + measures.flatMap { m in ["\(m.name)_month", "\(m.name)_year", "\(m.name)_cumulative"] }
            + ["target_approvals", "target_construction_starts", "target_completions", "share_approvals", "share_construction_starts", "share_completions"]
    }

    public static func render(_ r: ProgressReport) -> String {
        func share(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "" }
        func row(rank: Int?, place: ProgressReport.Place, ratings: [String: Int], month: ProgressReport.Counts, year: ProgressReport.Counts,
                 cumulative: ProgressReport.Counts, targets: ProgressReport.Targets, shares: ProgressReport.Shares) -> [String] {
            [rank.map(String.init) ?? "", place.code, place.name ?? "", String(ratings.values.reduce(0, +))]
                + ["suitable", "difficult", "unsuitable"].map { String(ratings[$0] ?? 0) }
                + measures.flatMap { m in [m.value(month), m.value(year), m.value(cumulative)] }
                + [targets.approvals, targets.constructionStarts, targets.completions].map { $0.map(String.init) ?? "" }
                + [shares.approvals, shares.constructionStarts, shares.completions].map(share)
        }
        var rows = [header]
        rows.append(row(rank: nil, place: r.place, ratings: r.unitsByRating, month: r.thisMonth, year: r.yearToDate, cumulative: r.cumulative,
                        targets: r.targets, shares: r.shares))
        for child in r.ranking {
            rows.append(row(rank: child.rank, place: child.place, ratings: child.unitsByRating, month: child.thisMonth, year: child.yearToDate,
                            cumulative: child.cumulative, targets: child.targets, shares: child.shares))
        }
        return rows.map { $0.map(KPICSV.field).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }
}
