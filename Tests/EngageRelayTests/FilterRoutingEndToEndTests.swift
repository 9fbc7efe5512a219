import EngageRelay
import Foundation
import RelayTesting
import Testing

/// A config with `where` filters routes the signed samples to exactly the expected files.
@Suite struct FilterRoutingEndToEndTests {
    static let config = """
        listen 127.0.0.1:0
        verify { secret env:ENGAGE_SIGNING_SECRET }
        sink big     file { path $DIR/big.jsonl }
        sink small   file { path $DIR/small.jsonl }
        sink members file { path $DIR/members.jsonl }
        sink sek     file { path $DIR/sek.jsonl }
        sink orders  file { path $DIR/orders.jsonl }
        sink rest    file { path $DIR/rest.jsonl }
        route point.balance.updated where payload.balance > 2500.7 and payload.definitionId == 1 -> big
        route point.balance.updated where payload.balance <= 2500.7 -> small
        route contact.* where payload.contactType == "Member" or payload.acceptsEmail == false -> members
        route reward.voucher.created where payload.currency in ["SEK", "NOK"] and payload.amount >= 100 -> sek
        route order.* where payload.orderId exists -> orders
        route * where not type in ["point.balance.updated", "order.returned"] and tenant == "voyadodemo" -> rest
        """

    @Test func signedSamplesReachTheExpectedSinksAndNoOthers() async throws {
        let samples = try Fixtures.engageBodies()
        let requests = try await PythonSvix.sign(samples.map(\.body))
        try await RunningRelay.with(config: Self.config) { relay in
            for request in requests {
                let response = try await relay.post(request.body, headers: request.headers())
                #expect(response.status == 204)
            }
            _ = try await relay.waitForLines("rest.jsonl", count: 10)
            _ = try await relay.waitForLines("big.jsonl", count: 2)
            _ = try await relay.waitForLines("orders.jsonl", count: 1)
            _ = try await relay.waitForLines("sek.jsonl", count: 1)
            _ = try await relay.waitForLines("members.jsonl", count: 2)
            func types(_ file: String) throws -> [String] {
                try relay.lines(file).compactMap { $0["type"] as? String }.sorted()
            }
            #expect(try types("big.jsonl") == ["point.balance.updated", "point.balance.updated"])
            #expect(try types("small.jsonl") == [])
            #expect(try types("members.jsonl") == ["contact.acceptsEmail.changed", "contact.created"])
            #expect(try types("sek.jsonl") == ["reward.voucher.created"])
            #expect(try types("orders.jsonl") == ["order.returned"])
            let rest = try types("rest.jsonl")
            #expect(rest.count == 10)
            #expect(!rest.contains("point.balance.updated") && !rest.contains("order.returned"))
        }
    }
}
