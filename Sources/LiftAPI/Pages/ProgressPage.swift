import Foundation
import LiftCore
import LiftStore

/// The monthly dispatch as a printable page (月度调度通报): the place's figures this month, this year and in all
/// against its targets, a chart of the year's cumulative progress month by month against the target, and the
/// ranking of the places one level down, each linking to its own report.
struct ProgressPage {
    let context: APIContext
    let caller: Principal
    let report: ProgressReport
    let t: Localizer

    struct ChartData: Encodable {
        var months: [Int]
        var approvals: [Int]
        var constructionStarts: [Int]
        var completions: [Int]
        var targets: ProgressReport.Targets
    }

    static var measures: [(key: String, value: (ProgressReport.Counts) -> String, target: (ProgressReport.Targets) -> Int?, share: (ProgressReport.Shares) -> Double?)] {
        [
        ("progress.approvals", { String($0.approvals) }, \.approvals, \.approvals),
        ("progress.starts", { String($0.constructionStarts) }, \.constructionStarts, \.constructionStarts),
        ("progress.completions", { String($0.completions) }, \.completions, \.completions),
        ("progress.in_service", { String($0.elevatorsInService) }, { _ in nil }, { _ in nil }),
        ("progress.households", { String($0.householdsBenefited) }, { _ in nil }, { _ in nil }),
        ("progress.subsidies", { yuanText($0.subsidiesGrantedYuan) }, { _ in nil }, { _ in nil }),
        ]
    }

    static func yuanText(_ value: Decimal) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.maximumFractionDigits = 2
        formatter.minimumFractionDigits = 0
        return formatter.string(from: NSDecimalNumber(decimal: value)) ?? "\(value)"
    }

    static func percent(_ value: Double?) -> String { value.map { String(format: "%.1f %%", $0 * 100) } ?? "—" }

    func link(_ code: String, _ text: String) -> String {
        "<a href=\"/progress?region=\(HTML.escape(code))&amp;year=\(report.year)&amp;month=\(report.month)\">\(HTML.escape(text))</a>"
    }

    func render() -> String {
        let r = report
        let name = r.place.name ?? (r.place.code.isEmpty ? t("progress.all_places") : r.place.code)
        let title = t("progress.title", ["place": name, "year": String(r.year), "month": String(r.month)])
        let figureRows = Self.measures.map { m in
            "<tr><th>\(t.html(m.key))</th><td>\(m.value(r.thisMonth))</td><td>\(m.value(r.yearToDate))</td><td>\(m.value(r.cumulative))</td>"
                + "<td>\(m.target(r.targets).map(String.init) ?? "—")</td><td>\(Self.percent(m.share(r.shares)))</td></tr>"
        }.joined()
        let ratingRows = ["suitable", "difficult", "unsuitable", "unrated"].map { "<tr><th>\(t.html("rating.\($0)"))</th><td>\(r.unitsByRating[$0] ?? 0)</td></tr>" }.joined()
        let rankingRows = r.ranking.map { child in
            let label = child.place.name.map { "\($0) (\(child.place.code))" } ?? child.place.code
            return "<tr><td>\(child.rank)</td><td>\(link(child.place.code, label))</td><td class=\"num opt\">\(child.unitsByRating["suitable"] ?? 0)</td>"
                + "<td class=\"num\">\(child.yearToDate.approvals) / \(child.targets.approvals.map(String.init) ?? "—")</td>"
                + "<td class=\"num\">\(child.yearToDate.constructionStarts) / \(child.targets.constructionStarts.map(String.init) ?? "—")</td>"
                + "<td class=\"num\">\(child.yearToDate.completions) / \(child.targets.completions.map(String.init) ?? "—")</td>"
                + "<td class=\"num\">\(Self.percent(child.shares.completions))</td><td class=\"num opt\">\(child.yearToDate.elevatorsInService)</td>"
                + "<td class=\"num opt\">\(child.yearToDate.householdsBenefited)</td></tr>"
        }.joined()
        let below = r.place.level?.below.map { t("level.\(String(describing: $0))") } ?? (r.place.code.isEmpty ? t("level.province") : t("level.below"))
        let up = r.place.code.count > 2 ? PlaceCode(r.place.code).flatMap { code in
            PlaceCode.Level.allCases.last { $0 < code.level }.flatMap { code.ancestor(at: $0) }
        }.map { link($0.code, t("progress.up")) } ?? "" : ""
        let chart = ChartData(
            months: r.months.map(\.month), approvals: r.months.map(\.yearToDate.approvals),
            constructionStarts: r.months.map(\.yearToDate.constructionStarts), completions: r.months.map(\.yearToDate.completions), targets: r.targets)
        let csv = "/api/v1/progress?region=\(r.place.code)&amp;year=\(r.year)&amp;month=\(r.month)&amp;format=csv"
        let body = """
            <form class="noprint controls" method="get" action="/progress">
            <label>\(t.html("progress.place")) <input name="region" value="\(HTML.escape(r.place.code))" inputmode="numeric" pattern="[0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12}"></label>
            <label>\(t.html("progress.year")) <input name="year" type="number" min="2000" max="2100" value="\(r.year)"></label>
            <label>\(t.html("progress.month")) <input name="month" type="number" min="1" max="12" value="\(r.month)"></label>
            <button type="submit">\(t.html("progress.show"))</button> \(up) <a href="\(csv)">CSV</a>
            </form>
            <h2 class="top">\(HTML.escape(title))</h2>
            <p class="muted">\(t.html("progress.as_of", ["year": String(r.year), "month": String(r.month), "time": HTML.time(r.asOf)]))</p>
            <div class="grid">
            <div class="card"><h3>\(t.html("progress.figures"))</h3>
            <div class="scroll"><table class="figures-table"><tr><th></th><th>\(t.html("progress.this_month"))</th><th>\(t.html("progress.this_year"))</th><th>\(t.html("progress.cumulative"))</th><th>\(t.html("progress.target"))</th><th>\(t.html("progress.share"))</th></tr>\(figureRows)</table></div></div>
            <div class="card"><h3>\(t.html("progress.units", ["n": String(r.unitsTotal)]))</h3><table>\(ratingRows)</table></div>
            </div>
            <div class="card spaced"><h3>\(t.html("progress.chart"))</h3>
            <div class="chart"><canvas id="progress-chart"></canvas></div></div>
            <div class="card spaced"><h3>\(t.html("progress.ranking", ["level": below]))</h3>
            <div class="scroll"><table><tr><th>\(t.html("progress.rank"))</th><th>\(HTML.escape(below))</th><th class="opt">\(t.html("progress.suitable"))</th><th>\(t.html("progress.approvals_target"))</th><th>\(t.html("progress.starts_target"))</th><th>\(t.html("progress.completions_target"))</th><th>\(t.html("progress.completion_share"))</th><th class="opt">\(t.html("progress.in_service_short"))</th><th class="opt">\(t.html("progress.households_short"))</th></tr>
            \(rankingRows.isEmpty ? "<tr><td colspan=\"9\" class=\"muted\">\(t.html("progress.none_below"))</td></tr>" : rankingRows)</table></div></div>
            \(HTML.dataScript("lw-progress", chart))
            """
        return Layout.page(
            title: title, caller: caller, t: t,
            head: "<script src=\"/assets/chart.js/chart.min.js\" defer></script><script src=\"/assets/app/progress.js\" defer></script>", body: body)
    }
}
