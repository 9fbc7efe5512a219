import RelayConfig
import Synchronization

/// Token-bucket rate limiting of deliveries: one global bucket and, optionally, one bucket per source address.
///
/// A request is admitted only when every bucket it draws from has a token, and then takes one from each; a request
/// refused by its source's bucket takes nothing from the global one, so one flooding source cannot spend the
/// budget of the others. The per-source table is bounded: buckets that have refilled are the same as new ones and
/// are dropped when the table is full, and while it stays full of active buckets, further sources share one
/// overflow bucket with the per-source rate. Safe to use from any thread: one lock guards all buckets.
public final class RateLimiter: Sendable {
    /// The default bound of the per-source table.
    public static let defaultMaxTrackedSources = 10_000

    /// Seconds on a monotonic clock from an arbitrary origin; unaffected by changes of the wall clock.
    public static let monotonic: @Sendable () -> Double = {
        let elapsed = origin.duration(to: .now).components
        return Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
    }

    private static let origin = ContinuousClock.now

    /// The outcome of ``admit(source:)``.
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
        var overflow: Bucket?
        /// The earliest time of the next sweep of the full table, so that a flood pays for one sweep per second.
        var nextSweep = -Double.infinity
    }

    private let globalRate: Rate
    private let sourceRate: Rate?
    private let maxTrackedSources: Int
    private let now: @Sendable () -> Double
    private let state: Mutex<State>

    /// Creates a limiter admitting `ratePerSecond` requests per second on average with bursts of `burst`, and, when
    /// `perSourceRatePerSecond` is given, at most that rate per source address with bursts of `perSourceBurst`
    /// (default: one second's worth, at least 1).
    ///
    /// Rates must be positive and finite, bursts at least 1; `perSourceBurst` needs `perSourceRatePerSecond`. At
    /// most `maxTrackedSources` sources have a bucket of their own. `now` reads seconds on a monotonic clock.
    public init(
        ratePerSecond: Double,
        burst: Int,
        perSourceRatePerSecond: Double? = nil,
        perSourceBurst: Int? = nil,
        maxTrackedSources: Int = RateLimiter.defaultMaxTrackedSources,
        now: @escaping @Sendable () -> Double = RateLimiter.monotonic
    ) {
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

    /// Takes a token for one request from `source` (nil when unknown: only the global limit applies).
    public func admit(source: IPAddress?) -> Decision {
        state.withLock { state in
            let now = self.now()
            globalRate.refill(&state.global, now: now)
            guard let source, let sourceRate else {
                guard globalRate.hasToken(state.global) else {
                    return .limited(retryAfterSeconds: Self.retryAfter(globalRate.wait(state.global)))
                }
                state.global.tokens -= 1
                return .allowed
            }
            let hasOwnBucket = makeRoom(for: source, in: &state, now: now)
            var bucket = (hasOwnBucket ? state.sources[source] : state.overflow) ?? sourceRate.full(at: now)
            sourceRate.refill(&bucket, now: now)
            let decision: Decision
            let globalReady = globalRate.hasToken(state.global)
            let sourceReady = sourceRate.hasToken(bucket)
            if globalReady, sourceReady {
                state.global.tokens -= 1
                bucket.tokens -= 1
                decision = .allowed
            } else {
                let wait = max(
                    globalReady ? 0 : globalRate.wait(state.global), sourceReady ? 0 : sourceRate.wait(bucket))
                decision = .limited(retryAfterSeconds: Self.retryAfter(wait))
            }
            if hasOwnBucket {
                state.sources[source] = bucket
            } else {
                state.overflow = bucket
            }
            return decision
        }
    }

    /// The number of sources that have a bucket of their own, for tests and metrics.
    public var trackedSourceCount: Int {
        state.withLock { $0.sources.count }
    }

    /// Whether `source` has or can get a bucket of its own, dropping refilled buckets first when the table is full
    /// (at most once a second); false means it shares the overflow bucket.
    private func makeRoom(for source: IPAddress, in state: inout State, now: Double) -> Bool {
        guard state.sources[source] == nil, state.sources.count >= maxTrackedSources else { return true }
        guard let sourceRate, now >= state.nextSweep else { return false }
        state.nextSweep = now + 1
        state.sources = state.sources.filter { _, bucket in
            var bucket = bucket
            sourceRate.refill(&bucket, now: now)
            return bucket.tokens < sourceRate.burst
        }
        return state.sources.count < maxTrackedSources
    }

    /// Whole seconds until `wait` has passed, at least 1; the tolerance keeps rounding noise from adding a second.
    private static func retryAfter(_ wait: Double) -> Int {
        let seconds = (wait - 1e-9).rounded(.up)
        return seconds >= Double(Int32.max) ? Int(Int32.max) : max(1, Int(seconds))
    }
}
