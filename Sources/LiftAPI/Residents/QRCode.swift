import CQRCodegen

/// A QR code, from Nayuki's generator (Debian's libqrcodegen): error correction level M (about 15 % of the code
/// may be dirty or scratched, as a sign in a car will be), the smallest version that holds the text.
struct QRCode {
    /// Modules per side (21 for version 1, 4 more per version).
    let size: Int
    private let dark: [Bool]

    /// Nil when the text does not fit in a version-40 code (about 2,300 bytes at level M).
    init?(text: String) {
        // qrcodegen_BUFFER_LEN_MAX: ((40 * 4 + 17)² + 7) / 8 + 1 bytes (a macro Swift does not import).
        let length = ((40 * 4 + 17) * (40 * 4 + 17) + 7) / 8 + 1
        var temporary = [UInt8](repeating: 0, count: length)
        var code = [UInt8](repeating: 0, count: length)
        let encoded = text.withCString { characters in
            qrcodegen_encodeText(characters, &temporary, &code, qrcodegen_Ecc_MEDIUM, qrcodegen_VERSION_MIN, qrcodegen_VERSION_MAX, qrcodegen_Mask_AUTO, true)
        }
        guard encoded else { return nil }
        let size = Int(qrcodegen_getSize(code))
        self.size = size
        dark = (0..<size * size).map { qrcodegen_getModule(code, Int32($0 % size), Int32($0 / size)) }
    }

    func isDark(x: Int, y: Int) -> Bool { dark[y * size + x] }

    /// The code as SVG, one path of unit squares inside a 4-module quiet zone, `millimetres` wide when printed.
    func svg(millimetres: Int, label: String) -> String {
        var path = ""
        for y in 0..<size {
            for x in 0..<size where isDark(x: x, y: y) { path += "M\(x + 4),\(y + 4)h1v1h-1z" }
        }
        let side = size + 8
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(side) \(side)" width="\(millimetres)mm" height="\(millimetres)mm" \
            shape-rendering="crispEdges" role="img" aria-label="\(HTML.escape(label))"><rect width="\(side)" height="\(side)" fill="#fff"/>\
            <path d="\(path)" fill="#000"/></svg>
            """
    }
}
