import Testing
@testable import LiftCore

@Suite("Flat JSON reader")
struct FlatJSONTests {
    func parse(_ text: String) throws(Rejection) -> FlatJSONDocument { try FlatJSON.parse(Array(text.utf8)) }

    @Test("scalars, escapes and surrogate pairs read as JSON says")
    func scalars() throws {
        guard case .object(let object) = try parse(#" { "a" : "x\"y\\z\n\u00e9\ud83d\ude00" , "b": -12, "c": 1.5e3, "d": true, "e": null, "f": [1, {"g": []}] } "#) else {
            Issue.record("not an object"); return
        }
        #expect(object["a"] == .string("x\"y\\z\né😀"))
        #expect(object["b"] == .integer(-12))
        #expect(object["c"] == .number(1500))
        #expect(object["d"] == .bool(true))
        #expect(object["e"] == .null)
        #expect(object["f"] == .nested)
    }

    @Test("malformed documents are refused with the offset", arguments: [
        "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1]", "{\"a\":01x}", "{\"a\":\"\u{01}\"}", "{\"a\":tru}", "{} {}",
        "{\"a\":\"\\ud800\"}", "{\"a\":1.}", "{\"a\":-}", "\"just a string\"",
    ])
    func malformed(text: String) {
        #expect(throws: Rejection.self) { try parse(text) }
    }

    @Test("deep nesting is refused rather than recursed into")
    func depthLimit() {
        let deep = "{\"a\":" + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}"
        #expect(throws: Rejection.self) { try parse(deep) }
    }

    @Test("invalid UTF-8 inside a string is refused")
    func invalidUTF8() {
        let bytes: [UInt8] = Array("{\"a\":\"".utf8) + [0xC3, 0x28] + Array("\"}".utf8)
        #expect(throws: Rejection.self) { try FlatJSON.parse(bytes) }
    }
}

@Suite("Number reading")
struct NumberReadingTests {
    @Test("the fast decimal path gives the very bits Double(String) gives (seeded random decimals)")
    func fastPathIsExact() throws {
        var generator = SplitMix(seed: 99)
        for _ in 0..<20_000 {
            let integerDigits = Int.random(in: 0...9, using: &generator)
            let fractionDigits = Int.random(in: 1...8, using: &generator)
            let whole = integerDigits == 0 ? "0" : String((0..<integerDigits).map { i in Character(String(i == 0 ? Int.random(in: 1...9, using: &generator) : Int.random(in: 0...9, using: &generator))) })
            let fraction = String((0..<fractionDigits).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
            let text = (Bool.random(using: &generator) ? "-" : "") + whole + "." + fraction
            guard case .object(let object) = try FlatJSON.parse(Array("{\"v\":\(text)}".utf8)), case .number(let value)? = object["v"] else {
                Issue.record("\(text) did not parse as a number"); continue
            }
            #expect(value.bitPattern == Double(text)!.bitPattern, "\(text)")
        }
    }
}
