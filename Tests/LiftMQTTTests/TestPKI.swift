import Foundation
import LiftTestSupport

/// A throw-away certificate authority made with openssl at test time: a CA, a server certificate for
/// localhost/127.0.0.1, a client certificate, and an unrelated second CA.
struct TestPKI {
    let directory: String
    var caCertificate: String { directory + "/ca.crt" }
    var otherCACertificate: String { directory + "/other-ca.crt" }
    var serverCertificate: String { directory + "/server.crt" }
    var serverKey: String { directory + "/server.key" }
    var clientCertificate: String { directory + "/client.crt" }
    var clientKey: String { directory + "/client.key" }

    static func make() throws -> TestPKI {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pki-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pki = TestPKI(directory: directory)
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: directory + "/san.ext", atomically: true, encoding: .utf8)
        for ca in ["ca", "other-ca"] {
            try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=LiftWatch test \(ca)",
                         "-keyout", "\(directory)/\(ca).key", "-out", "\(directory)/\(ca).crt"])
        }
        for (name, subject) in [("server", "/CN=localhost"), ("client", "/CN=test-client")] {
            try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", subject,
                         "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).csr"])
            try openssl(["x509", "-req", "-in", "\(directory)/\(name).csr", "-CA", pki.caCertificate,
                         "-CAkey", "\(directory)/ca.key", "-CAcreateserial", "-days", "2",
                         "-extfile", "\(directory)/san.ext", "-out", "\(directory)/\(name).crt"])
        }
        return pki
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let status = process.finish()
        guard status == 0 else {
            throw TestFailure("openssl \(arguments.joined(separator: " ")) exited \(status)")
        }
    }
}
