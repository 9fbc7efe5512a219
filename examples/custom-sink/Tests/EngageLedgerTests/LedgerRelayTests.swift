import Foundation
import RelayTesting
import Testing

/// The built `ledger-relay` binary, run as a child process on the shipped `ledger.conf`.
@Suite struct LedgerRelayTests {
    @Test func aSignedDeliveryBecomesARowInTheTenantsLedger() async throws {
        let folder = try Fixtures.temporaryFolder()
        let shipped = try String(contentsOf: Fixtures.package.appendingPathComponent("ledger.conf"), encoding: .utf8)
        // Any free port; every other line as shipped, its relative paths landing in `folder`.
        let config = shipped.replacingOccurrences(of: "listen 127.0.0.1:8080", with: "listen 127.0.0.1:0")
        try #require(config != shipped, "ledger.conf no longer says `listen 127.0.0.1:8080`")
        try config.write(to: folder.appendingPathComponent("ledger.conf"), atomically: true, encoding: .utf8)

        let relay = try RelayProcess(
            executable: BuiltProducts.executable(named: "ledger-relay"), config: "ledger.conf",
            arguments: ["--log-level", "debug"], in: folder,
            environment: ["ENGAGE_SIGNING_SECRET": PythonSvix.testSecret],
            log: folder.appendingPathComponent("relay.log"))
        do {
            try await deliverAndReadBack(relay, folder: folder)
        } catch {
            _ = await relay.terminate()
            throw error
        }
        let status = await relay.terminate()
        #expect(status == 0, "ledger-relay did not drain and exit 0 on SIGTERM:\n\(relay.logText)")
    }

    func deliverAndReadBack(_ relay: RelayProcess, folder: URL) async throws {
        let port = try await relay.port(timeout: .seconds(60))
        let body = try Data(contentsOf: Fixtures.url("point.balance.updated.json"))
        let signed = try await PythonSvix.sign([Array(body)])[0]
        let bodyFile = folder.appendingPathComponent("body.json")
        try body.write(to: bodyFile)
        let response = try await ChildProcess.run(
            "curl",
            [
                "--silent", "--show-error", "--max-time", "60", "--output", "/dev/null", "--write-out", "%{http_code}",
                "--header", "content-type: application/json", "--header", "svix-id: \(signed.messageId)",
                "--header", "svix-timestamp: \(signed.timestamp)", "--header", "svix-signature: \(signed.signature)",
                "--data-binary", "@\(bodyFile.path)", "http://127.0.0.1:\(port)/webhooks/engage",
            ])
        #expect(response.stdoutText == "204", "curl: \(response.stderrText)\n\(relay.logText)")

        // Delivery to sinks is asynchronous: wait for the row, with a bound generous enough for a busy machine.
        let ledger = folder.appendingPathComponent("data/ledger/voyadodemo.csv")
        let deadline = ContinuousClock.now + .seconds(60)
        while try Ledger.lines(ledger).count < 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        let lines = try Ledger.lines(ledger)
        try #require(lines.count == 2, "no ledger row after 60 s:\n\(relay.logText)")
        #expect(lines[0] == "received-at,event-id,contact-id,account-id,balance,balance-expires")
        let row = try #require(try Ledger.rows(ledger).first)
        #expect(row["event-id"] == "31e61713-dd4d-4c3f-a470-990ef50b47c0")
        #expect(row["contact-id"] == "cbe3f42c-c1d0-4721-b8ce-ab35001ce051")
        #expect(row["account-id"] == "123")
        #expect(row["balance"] == "2500.75")
        #expect(row["balance-expires"] == "2024-12-31T23:59:59.999+01:00")
        let received = try Date(
            #require(row["received-at"]), strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        #expect(abs(received.timeIntervalSinceNow) < 600)
    }
}
