import InMemoryLogging
import Logging
import RelayTesting
import Testing

@Suite struct CapturedLogsTests {
    @Test func aLineIsLevelLabelMessageAndSortedMetadataWithTheLoggersOwnMerged() {
        let logs = CapturedLogs()
        var logger = logs.logger(label: "engage-relay")
        logger[metadataKey: "relay.sink"] = "out"
        logger.notice("delivery refused", metadata: ["relay.reason": "signature_mismatch", "relay.sink": "other"])
        #expect(logs.all == ["notice engage-relay: delivery refused relay.reason=signature_mismatch relay.sink=other"])
    }

    @Test func recordsBelowTheLoggersLevelAreNotKept() {
        let logs = CapturedLogs()
        let logger = logs.logger(level: .info)
        logger.debug("hidden")
        logger.info("shown")
        #expect(logs.all == ["info test: shown "])
        #expect(logs.entries().map(\.level) == [.info])
    }

    @Test func entriesAreKeptPerLabelInTheOrderLogged() {
        let logs = CapturedLogs()
        let first = logs.logger(label: "a")
        let second = logs.logger(label: "b")
        first.info("one")
        second.warning("two", metadata: ["k": "v"])
        logs.logger(label: "a").error("three")
        #expect(logs.entries(label: "a").map(\.message) == ["one", "three"])
        #expect(logs.entries(label: "b").map(\.metadata) == [["k": "v"]])
        #expect(logs.all == ["info a: one ", "error a: three ", "warning b: two k=v"])
    }
}
