import RelayConfig
import Synchronization

/// Token-bucket rate limiting of deliveries: one global bucket for authentic deliveries and, optionally, one bucket
/// per source.
///
/// The two are asked at different points: ``admitSource(_:)`` before anything is verified (a flooding source is
/// refused cheaply and spends nothing of anyone else's), ``admitAuthentic()`` only once a signature verified, so
/// unsigned floods cannot spend the budget of the real sender. A source is an IPv4 address or an IPv6 prefix
/// (`/64` by default: one host owns a whole /64). The per-source table is bounded: when it is full, the source that
/// got its bucket longest ago gives its place up (first in, first out), so a new source always has a bucket of its
/// own and never shares one with a flood; a forgotten source starts again with a full bucket. Safe to use from any
/// thread: one lock guards all buckets.
public final class RateLimiter: Sendable {
    /// The default bound of the per-source table.
    public static let defaultMaxTrackedSources = 10_000

    /// Seconds on a monotonic clock from an arbitrary origin; unaffected by changes of the wall clock.
    public static let monotonic: @Sendable () -> Double = {
        let elapsed = origin.duration(to: .now).components
        return Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
    }

    private static let origin = ContinuousClock.now

    /// The outcome of an admission.
    public enum Decision: Sendable, Equatable {
        /// The request may go on.
        case allowed
        /// The request must be refused; the next token is due in `retryAfterSeconds` (at least 1), the value for
        /// a `Retry-After` header.
        case limited(retryAfterSeconds: Int)
    }

    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    private struct Rate {
        let perSecond: Double
        let burst: Double

        /// Adds the tokens earned since the bucket's last update, up to the burst.
        func refill(_ bucket: inout Bucket, now: Double) {
            guard now > bucket.updated else { return }
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * perSecond)
            bucket.updated = now
        }

        /// Whether the bucket holds a whole token; the tolerance absorbs rounding in the refill.
        func hasToken(_ bucket: Bucket) -> Bool {
            bucket.tokens >= 1 - 1e-9
        }

        /// Seconds until the bucket holds a whole token.
        func wait(_ bucket: Bucket) -> Double {
            max(0, 1 - bucket.tokens) / perSecond
        }

        func full(at now: Double) -> Bucket {
            Bucket(tokens: burst, updated: now)
        }
    }

    private struct State {
        var global: Bucket
        var sources: [IPAddress: Bucket] = [:]
        /// Sources in the order they got a bucket, from `oldest` on; entries before it are spent.
        var arrivals: [IPAddress] = []
        var oldest = 0
    }

    private let globalRate: Rate
    private let sourceRate: Rate?
    private let maxTrackedSources: Int
    private let ipv6PrefixLength: Int
    private let now: @Sendable () -> Double
    private let state: Mutex<State>

    /// Creates a limiter admitting `ratePerSecond` requests per second on average with bursts of `burst`, and, when
    /// `perSourceRatePerSecond` is given, at most that rate per source address with bursts of `perSourceBurst`
    /// (default: one second's worth, at least 1).
    ///
    /// Rates must be positive and finite, bursts at least 1; `perSourceBurst` needs `perSourceRatePerSecond`. At
    /// most `maxTrackedSources` sources have a bucket of their own; IPv6 sources are keyed by their first
    /// `ipv6PrefixLength` bits. `now` reads seconds on a monotonic clock.
    public init(
        ratePerSecond: Double,
        burst: Int,
        perSourceRatePerSecond: Double? = nil,
        perSourceBurst: Int? = nil,
        maxTrackedSources: Int = RateLimiter.defaultMaxTrackedSources,
        ipv6PrefixLength: Int = 64,
        now: @escaping @Sendable () -> Double = RateLimiter.monotonic
    ) {
        precondition((1...128).contains(ipv6PrefixLength), "ipv6PrefixLength must be 1...128")
        self.ipv6PrefixLength = ipv6PrefixLength
        precondition(ratePerSecond > 0 && ratePerSecond.isFinite, "ratePerSecond must be positive and finite")
        precondition(burst >= 1, "burst must be at least 1")
        precondition(perSourceBurst == nil || perSourceRatePerSecond != nil, "perSourceBurst needs a per-source rate")
        precondition(maxTrackedSources >= 1, "maxTrackedSources must be at least 1")
        self.globalRate = Rate(perSecond: ratePerSecond, burst: Double(burst))
        if let perSourceRatePerSecond {
            precondition(
                perSourceRatePerSecond > 0 && perSourceRatePerSecond.isFinite,
                "perSourceRatePerSecond must be positive and finite")
            let sourceBurst = perSourceBurst ?? max(1, Int(perSourceRatePerSecond.rounded(.up)))
            precondition(sourceBurst >= 1, "perSourceBurst must be at least 1")
            self.sourceRate = Rate(perSecond: perSourceRatePerSecond, burst: Double(sourceBurst))
        } else {
            self.sourceRate = nil
        }
        self.maxTrackedSources = maxTrackedSources
        self.now = now
        self.state = Mutex(State(global: globalRate.full(at: now())))
    }

    /// Takes a token from the bucket of `source` (nil when unknown, or without a per-source rate: allowed), before
    /// the request is verified.
    public func admitSource(_ source: IPAddress?) -> Decision {
        guard let source, let sourceRate else { return .allowed }
        let key = self.key(source)
        return state.withLock { state in
            let now = self.now()
            var bucket = state.sources[key] ?? makeRoom(for: key, in: &state, now: now)
            sourceRate.refill(&bucket, now: now)
            defer { state.sources[key] = bucket }
            guard sourceRate.hasToken(bucket) else {
                return .limited(retryAfterSeconds: Self.retryAfter(sourceRate.wait(bucket)))
            }
            bucket.tokens -= 1
            return .allowed
        }
    }

    /// Takes a token from the global bucket, for a delivery whose signature verified.
    public func admitAuthentic() -> Decision {
        state.withLock { state in
            globalRate.refill(&state.global, now: now())
            guard globalRate.hasToken(state.global) else {
                return .limited(retryAfterSeconds: Self.retryAfter(globalRate.wait(state.global)))
            }
            state.global.tokens -= 1
            return .allowed
        }
    }

    /// The number of sources that have a bucket of their own, for tests and metrics.
    public var trackedSourceCount: Int {
        state.withLock { $0.sources.count }
    }

    /// The bucket key of `source`: an IPv4 address as it is, an IPv6 address cut to its prefix.
    func key(_ source: IPAddress) -> IPAddress {
        source.isIPv4 ? source : source.prefix(ipv6PrefixLength)
    }

    /// A full bucket for a source new to the table, first making room by forgetting the earliest arrival.
    private func makeRoom(for key: IPAddress, in state: inout State, now: Double) -> Bucket {
        while state.sources.count >= maxTrackedSources, state.oldest < state.arrivals.count {
            state.sources[state.arrivals[state.oldest]] = nil
            state.oldest += 1
        }
        if state.oldest > maxTrackedSources {
            state.arrivals.removeFirst(state.oldest)
            state.oldest = 0
        }
        state.arrivals.append(key)
        return sourceRate!.full(at: now)
    }

    /// Whole seconds until `wait` has passed, at least 1; the tolerance keeps rounding noise from adding a second.
    private static func retryAfter(_ wait: Double) -> Int {
        let seconds = (wait - 1e-9).rounded(.up)
        return seconds >= Double(Int32.max) ? Int(Int32.max) : max(1, Int(seconds))
    }
}
