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

    struct ChartData: Encodable {
        var months: [Int]
        var approvals: [Int]
        var constructionStarts: [Int]
        var completions: [Int]
        var targets: ProgressReport.Targets
    }

    static var measures: [(label: String, value: (ProgressReport.Counts) -> String, target: (ProgressReport.Targets) -> Int?, share: (ProgressReport.Shares) -> Double?)] {
        [
        ("联合审批 · approvals", { String($0.approvals) }, \.approvals, \.approvals),
        ("开工建设 · construction starts", { String($0.constructionStarts) }, \.constructionStarts, \.constructionStarts),
        ("竣工验收 · completions", { String($0.completions) }, \.completions, \.completions),
        ("投入使用 · elevators in service", { String($0.elevatorsInService) }, { _ in nil }, { _ in nil }),
        ("受益户数 · households benefited", { String($0.householdsBenefited) }, { _ in nil }, { _ in nil }),
        ("补贴发放 · subsidies granted (元)", { yuanText($0.subsidiesGrantedYuan) }, { _ in nil }, { _ in nil }),
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
        let name = r.place.name ?? (r.place.code.isEmpty ? "全部地区" : r.place.code)
        let title = "\(name) 既有住宅加装电梯 \(r.year)年\(r.month)月 调度通报"
        let figureRows = Self.measures.map { m in
            "<tr><th>\(m.label)</th><td>\(m.value(r.thisMonth))</td><td>\(m.value(r.yearToDate))</td><td>\(m.value(r.cumulative))</td>"
                + "<td>\(m.target(r.targets).map(String.init) ?? "—")</td><td>\(Self.percent(m.share(r.shares)))</td></tr>"
        }.joined()
        let ratings = ["suitable": "适宜 suitable", "difficult": "较难 difficult", "unsuitable": "不适宜 unsuitable", "unrated": "未评定 unrated"]
        let ratingRows = ["suitable", "difficult", "unsuitable", "unrated"].map { "<tr><th>\(ratings[$0]!)</th><td>\(r.unitsByRating[$0] ?? 0)</td></tr>" }.joined()
        let rankingRows = r.ranking.map { child in
            let label = child.place.name.map { "\($0) (\(child.place.code))" } ?? child.place.code
            return "<tr><td>\(child.rank)</td><td>\(link(child.place.code, label))</td><td class=\"num opt\">\(child.unitsByRating["suitable"] ?? 0)</td>"
                + "<td class=\"num\">\(child.yearToDate.approvals) / \(child.targets.approvals.map(String.init) ?? "—")</td>"
                + "<td class=\"num\">\(child.yearToDate.constructionStarts) / \(child.targets.constructionStarts.map(String.init) ?? "—")</td>"
                + "<td class=\"num\">\(child.yearToDate.completions) / \(child.targets.completions.map(String.init) ?? "—")</td>"
                + "<td class=\"num\">\(Self.percent(child.shares.completions))</td><td class=\"num opt\">\(child.yearToDate.elevatorsInService)</td>"
                + "<td class=\"num opt\">\(child.yearToDate.householdsBenefited)</td></tr>"
        }.joined()
        let below = r.place.level?.below?.chineseName ?? (r.place.code.isEmpty ? "省" : "下级")
        let up = r.place.code.count > 2 ? PlaceCode(r.place.code).flatMap { code in
            PlaceCode.Level.allCases.last { $0 < code.level }.flatMap { code.ancestor(at: $0) }
        }.map { link($0.code, "↑ 上一级") } ?? "" : ""
        let chart = ChartData(
            months: r.months.map(\.month), approvals: r.months.map(\.yearToDate.approvals),
            constructionStarts: r.months.map(\.yearToDate.constructionStarts), completions: r.months.map(\.yearToDate.completions), targets: r.targets)
        let csv = "/api/v1/progress?region=\(r.place.code)&amp;year=\(r.year)&amp;month=\(r.month)&amp;format=csv"
        let body = """
            <form class="noprint controls" method="get" action="/progress">
            <label>地区 place <input name="region" value="\(HTML.escape(r.place.code))" inputmode="numeric" pattern="[0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12}"></label>
            <label>年 year <input name="year" type="number" min="2000" max="2100" value="\(r.year)"></label>
            <label>月 month <input name="month" type="number" min="1" max="12" value="\(r.month)"></label>
            <button type="submit">查看 show</button> \(up) <a href="\(csv)">CSV</a>
            </form>
            <h2 class="top">\(HTML.escape(title))</h2>
            <p class="muted">截至 \(r.year)年\(r.month)月末（北京时间）· figures dated before \(HTML.time(r.asOf)) · docs/programme.md</p>
            <div class="grid">
            <div class="card"><h3>进度 · progress</h3>
            <div class="scroll"><table class="figures-table"><tr><th></th><th>本月</th><th>本年累计</th><th>总累计</th><th>年度目标</th><th>完成率</th></tr>\(figureRows)</table></div></div>
            <div class="card"><h3>摸排单元 · units surveyed: \(r.unitsTotal)</h3><table>\(ratingRows)</table></div>
            </div>
            <div class="card spaced"><h3>本年累计完成与年度目标 · this year against the target</h3>
            <div class="chart"><canvas id="progress-chart"></canvas></div></div>
            <div class="card spaced"><h3>\(below)排名 · ranking (竣工完成率 completions against target)</h3>
            <div class="scroll"><table><tr><th>名次</th><th>\(below)</th><th class="opt">适宜单元</th><th>审批/目标</th><th>开工/目标</th><th>竣工/目标</th><th>竣工完成率</th><th class="opt">投入使用</th><th class="opt">受益户数</th></tr>
            \(rankingRows.isEmpty ? "<tr><td colspan=\"9\" class=\"muted\">无下级地区数据 · no places below</td></tr>" : rankingRows)</table></div></div>
            \(HTML.dataScript("lw-progress", chart))
            """
        return Layout.page(
            title: title, caller: caller,
            head: "<script src=\"/assets/chart.js/chart.min.js\" defer></script><script src=\"/assets/app/progress.js\" defer></script>", body: body)
    }
}
