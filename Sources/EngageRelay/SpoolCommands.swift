import ArgumentParser
import Foundation
import Logging
import RelayConfig
import RelayCore
import RelayPlanning

/// Options shared by the commands that read the spool.
struct SpoolLocation: ParsableArguments {
    @Option(name: .shortAndLong, help: "The config file (gives the spool path and the current routes).")
    var config: String = "engage-relay.conf"

    @Option(help: "The spool database, instead of the config's `spool { path }`.")
    var spool: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    /// Opens the spool the config names (never creating one); also returns the plan when the config loads
    /// (replay needs its routes, and the payload key to route encrypted events).
    ///
    /// Inspecting the spool verifies nothing, so no secret is read but the spool's `url`, and the `decrypt` key when
    /// the plan is needed.
    func open(needPlan: Bool = false, spools: SpoolRegistry = .builtIn) async throws -> (spool: any Spool, plan: RelayPlan?) {
        var plan: RelayPlan?
        if spool == nil || needPlan {
            plan = try ConfigLoading.load(config, secrets: needPlan ? .spoolAndPayloadKey : .spoolOnly).plan
            guard plan != nil else { throw ExitCode(1) }
        }
        let settings = spool.map(SpoolPlan.sqlite(path:)) ?? plan!.spool
        do {
            return (try await spools.open(settings, logger: Logger(label: "engage-relay"), mustExist: true), plan)
        } catch {
            ConfigLoading.printError("error: \(error.message)")
            throw ExitCode(1)
        }
    }
}

/// Filters shared by listing, replay and dead-letter commands.
struct EventFilters: ParsableArguments {
    @Option(help: "Only this event type.")
    var type: String?

    @Option(
        help: """
            Only events with a delivery in this state (pending, in-flight, delivered, failed), or only events in \
            this state (unrouted, undeliverable).
            """)
    var state: State?

    @Option(help: "Only deliveries to this sink.")
    var sink: String?

    @Option(help: "Received at or after: an ISO 8601 time or a duration ago (e.g. 2h, 7d).")
    var since: String?

    @Option(help: "Received before: an ISO 8601 time or a duration ago.")
    var until: String?

    func validate() throws {
        try Self.validate(since: since, until: until)
    }

    static func validate(since: String?, until: String?) throws {
        for text in [since, until].compactMap({ $0 }) where date(text) == nil {
            throw ValidationError("`\(text)` is neither an ISO 8601 time nor a duration such as 2h")
        }
    }

    var deliveryState: DeliveryState? { state?.deliveryState }
    /// `unrouted` or `undeliverable` (a routed event is one with deliveries, which the delivery states select).
    var eventState: StoredEventState? { state?.eventState }
    var sinceDate: Date? { since.flatMap(Self.date) }
    var untilDate: Date? { until.flatMap(Self.date) }

    static func date(_ text: String) -> Date? {
        if let duration = ConfigValue.duration(text) { return Date().addingTimeInterval(-duration.seconds) }
        return try? Date(text, strategy: .iso8601)
    }
}

extension EventFilters {
    /// A `--state` value: a delivery state, spelt as the spool and `--json` output spell it.
    enum State: String, CaseIterable, ExpressibleByArgument {
        case pending
        case inFlight = "in-flight"
        case delivered
        case failed
        case unrouted
        case undeliverable

        var deliveryState: DeliveryState? { DeliveryState(rawValue: rawValue) }
        var eventState: StoredEventState? { StoredEventState(rawValue: rawValue) }
    }
}

enum Output {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static func json(_ value: some Encodable) throws {
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    static func table(_ header: [String], _ rows: [[String]]) {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            print(zip(row, widths).map { $0.0.padding(toLength: $0.1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
    }

    static func time(_ date: Date) -> String { date.formatted(.iso8601) }

    static func deliveriesText(_ event: StoredEvent) -> String {
        event.deliveries.isEmpty ? "-" : event.deliveries.map { "\($0.sink):\($0.state.rawValue)" }.joined(separator: " ")
    }
}

extension EngageRelayCommand {
    /// `engage-relay events list|show`.
    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inspect stored events, and delete undeliverable ones.",
            subcommands: [List.self, Show.self, Purge.self], defaultSubcommand: List.self)

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List stored events, newest first.")
            @OptionGroup var location: SpoolLocation
            @OptionGroup var filters: EventFilters
            @Option(help: "At most this many events.") var limit = 50

            func run() async throws {
                let (spool, _) = try await location.open()
                let events = try await spool.events(
                    EventQuery(
                        type: filters.type, deliveryState: filters.deliveryState, eventState: filters.eventState,
                        sink: filters.sink, since: filters.sinceDate, until: filters.untilDate, limit: limit))
                if location.json { return try Output.json(events) }
                Output.table(
                    ["RECEIVED", "MESSAGE ID", "TYPE", "TENANT", "STATE", "DELIVERIES"],
                    events.map {
                        [
                            Output.time($0.receivedAt), $0.messageId, $0.type.isEmpty ? "-" : $0.type, $0.tenant ?? "-",
                            $0.state.rawValue, Output.deliveriesText($0),
                        ]
                    })
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show one event with its deliveries.")
            @OptionGroup var location: SpoolLocation
            @Argument(help: "The event id or message id.") var id: String
            @Flag(help: "Also print the body (it holds personal data).") var body = false

            func run() async throws {
                let (spool, _) = try await location.open()
                guard var event = try await spool.event(id) else {
                    ConfigLoading.printError("error: no event `\(id)` in the spool")
                    throw ExitCode(1)
                }
                let bodyText = event.body.map { String(decoding: $0, as: UTF8.self) }
                if !body { event.body = nil }
                if location.json { return try Output.json(event) }
                print("message id  \(event.messageId)\nevent id    \(event.eventId)\ntype        \(event.type)")
                print("tenant      \(event.tenant ?? "-")\nreceived    \(Output.time(event.receivedAt))\nstate       \(event.state.rawValue)")
                if let reason = event.reason { print("reason      \(reason)") }
                print("")
                Output.table(
                    ["SINK", "STATE", "ATTEMPTS", "NEXT/LAST ATTEMPT", "LAST ERROR"],
                    event.deliveries.map {
                        [$0.sink, $0.state.rawValue, "\($0.attempts)", Output.time($0.nextAttemptAt), $0.lastError ?? "-"]
                    })
                if body, let bodyText { print("\n\(bodyText)") }
            }
        }

        struct Purge: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Delete undeliverable events (authentic bodies that could not be decoded), bodies included.",
                discussion: """
                    Only undeliverable events are purged here: delivered events are pruned after \
                    `spool { retention }`, dead letters are purged with `dead-letters purge`. To deliver an \
                    undeliverable event instead (after adding the `decrypt` key, say), use `replay`.
                    """)
            @OptionGroup var location: SpoolLocation
            @Option(help: "The state of the events to delete: undeliverable.") var state: String
            @Option(help: "Received at or after: an ISO 8601 time or a duration ago (e.g. 2h, 7d).") var since: String?
            @Option(help: "Received before: an ISO 8601 time or a duration ago.") var until: String?
            @Argument(help: "Only these event ids or message ids.") var ids: [String] = []

            func validate() throws {
                guard state == StoredEventState.undeliverable.rawValue else {
                    throw ValidationError(
                        "only `--state undeliverable` events can be purged; dead letters: `dead-letters purge`")
                }
                try EventFilters.validate(since: since, until: until)
            }

            func run() async throws {
                let (spool, _) = try await location.open()
                let count = try await spool.purgeUndeliverable(
                    ReplaySelection(
                        ids: ids, since: since.flatMap(EventFilters.date), until: until.flatMap(EventFilters.date)))
                if location.json { return try Output.json(["purged": count]) }
                print("purged \(count) undeliverable event\(count == 1 ? "" : "s")")
            }
        }
    }

    /// `engage-relay replay`.
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue events for delivery again (to the sinks their current routes name).",
            discussion: "With --spool and no --config, events are queued for the sinks they already had.")
        @OptionGroup var location: SpoolLocation
        @OptionGroup var filters: EventFilters
        @Argument(help: "Event ids or message ids.") var ids: [String] = []

        func validate() throws {
            if ids.isEmpty && filters.sink == nil && filters.state == nil && filters.since == nil && filters.until == nil {
                throw ValidationError("say what to replay: ids, --sink, --state, --since or --until")
            }
        }

        func run() async throws {
            // With `--spool` alone, events go back to the sinks they already had; with a config, to its routes.
            let (spool, plan) = try await location.open(needPlan: location.spool == nil)
            let routes = plan?.routes
            let decoder = plan?.verification.decoder ?? EventDecoder()
            let count = try await spool.replay(
                ReplaySelection(
                    ids: ids, sink: filters.sink, deliveryState: filters.deliveryState, eventState: filters.eventState,
                    since: filters.sinceDate, until: filters.untilDate),
                now: Date()
            ) { stored in
                guard let routes, let body = stored.body,
                    let event = try? decoder.decode(body, messageId: stored.messageId, receivedAt: stored.receivedAt)
                else { return stored.deliveries.map(\.sink) }
                return routes.match(event)
            }
            if location.json { return try Output.json(["queued": count]) }
            print("queued \(count) deliver\(count == 1 ? "y" : "ies")")
        }
    }

    /// `engage-relay dead-letters list|retry|purge`.
    struct DeadLetters: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dead-letters", abstract: "Deliveries that failed for good.",
            subcommands: [List.self, Retry.self, Purge.self], defaultSubcommand: List.self)

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List dead letters.")
            @OptionGroup var location: SpoolLocation
            @Option(help: "Only this sink.") var sink: String?

            func run() async throws {
                let (spool, _) = try await location.open()
                let events = try await spool.events(EventQuery(deliveryState: .failed, sink: sink, limit: 1000))
                let rows = events.flatMap { event in
                    event.deliveries.filter { $0.state == .failed && (sink == nil || $0.sink == sink) }.map { (event, $0) }
                }
                if location.json {
                    return try Output.json(
                        rows.map {
                            DeadLetter(
                                messageId: $0.0.messageId, eventId: $0.0.eventId, type: $0.0.type, sink: $0.1.sink,
                                attempts: $0.1.attempts, lastError: $0.1.lastError, receivedAt: $0.0.receivedAt)
                        })
                }
                Output.table(
                    ["RECEIVED", "MESSAGE ID", "TYPE", "SINK", "ATTEMPTS", "LAST ERROR"],
                    rows.map {
                        [Output.time($0.0.receivedAt), $0.0.messageId, $0.0.type, $0.1.sink, "\($0.1.attempts)", $0.1.lastError ?? "-"]
                    })
            }
        }

        struct Retry: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Queue dead letters for delivery again.")
            @OptionGroup var location: SpoolLocation
            @Option(help: "Only this sink.") var sink: String?
            @Argument(help: "Only these event ids or message ids.") var ids: [String] = []

            func run() async throws {
                let (spool, _) = try await location.open()
                let count = try await spool.replay(
                    ReplaySelection(ids: ids, sink: sink, deliveryState: .failed), now: Date()
                ) { stored in
                    stored.deliveries.filter { $0.state == .failed }.map(\.sink)
                }
                if location.json { return try Output.json(["queued": count]) }
                print("queued \(count) deliver\(count == 1 ? "y" : "ies")")
            }
        }

        struct Purge: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete dead letters.")
            @OptionGroup var location: SpoolLocation
            @Option(help: "Only this sink.") var sink: String?
            @Argument(help: "Only these event ids or message ids.") var ids: [String] = []

            func run() async throws {
                let (spool, _) = try await location.open()
                let count = try await spool.purge(ReplaySelection(ids: ids, sink: sink, deliveryState: .failed))
                if location.json { return try Output.json(["purged": count]) }
                print("purged \(count) dead letter\(count == 1 ? "" : "s")")
            }
        }
    }
}

struct DeadLetter: Encodable {
    var messageId: String
    var eventId: String
    var type: String
    var sink: String
    var attempts: Int
    var lastError: String?
    var receivedAt: Date
}
