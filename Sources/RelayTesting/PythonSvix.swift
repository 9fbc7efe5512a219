import Foundation

/// Signs requests with the official Python `svix` package, an independent signer for end-to-end tests.
///
/// Needs `python3` with `svix` installed (`pip install 'svix>=2.9,<3'`; the repository's `scripts/test` installs it).
public enum PythonSvix {
    /// The example secret from Svix's own test vectors.
    public static let testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// The signing script shipped as this module's resource. (Not in a folder named `Resources`: Foundation on Linux
    /// takes such a folder for the bundle's own resource folder.)
    static let script = Bundle.module.resourceURL!.appendingPathComponent("Scripts/svix_sign.py")

    /// Signs each body as Svix would deliver it at `timestamp`, each with a fresh `msg_…` id, in one Python process.
    public static func sign(
        _ bodies: [[UInt8]], secret: String = testSecret, timestamp: Int64 = Int64(Date().timeIntervalSince1970)
    ) async throws -> [SignedRequest] {
        let requests = bodies.map { body in
            (id: "msg_" + UUID().uuidString.replacingOccurrences(of: "-", with: ""), body: body)
        }
        let input: [[String: Any]] = requests.map {
            [
                "secret": secret, "msg_id": $0.id, "timestamp": timestamp,
                "body": String(decoding: $0.body, as: UTF8.self),
            ]
        }
        let output = try await ChildProcess.run(
            "python3", [script.path], stdin: try JSONSerialization.data(withJSONObject: input))
        guard output.status == 0, let signatures = try? JSONSerialization.jsonObject(with: output.stdout) as? [String],
            signatures.count == bodies.count
        else {
            throw TestFailure(
                "svix_sign.py failed (is `svix` installed? pip install 'svix>=2.9,<3'; scripts/test installs it): "
                    + output.stderrText)
        }
        return zip(requests, signatures).map {
            SignedRequest(messageId: $0.0.id, timestamp: timestamp, body: $0.0.body, signature: $0.1)
        }
    }
}
