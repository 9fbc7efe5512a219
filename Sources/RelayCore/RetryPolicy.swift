/// How the engine retries a sink's failed deliveries: exponential backoff with full jitter, capped, with an
/// attempt limit and a maximum age after which a delivery becomes a dead letter.
public struct RetryPolicy: Sendable, Hashable {
    /// Total attempts, the first included.
    public var maxAttempts: Int
    /// The smallest delay, and the base of the exponential.
    public var minBackoff: Duration
    /// The largest delay.
    public var maxBackoff: Duration
    /// How long after receipt the engine keeps trying.
    public var maxAge: Duration

    /// Creates a policy.
    public init(maxAttempts: Int, minBackoff: Duration, maxBackoff: Duration, maxAge: Duration) {
        self.maxAttempts = maxAttempts
        self.minBackoff = minBackoff
        self.maxBackoff = maxBackoff
        self.maxAge = maxAge
    }

    /// 30 attempts, 1 s to 10 min apart, for up to 3 days.
    public static let `default` = RetryPolicy(
        maxAttempts: 30, minBackoff: .seconds(1), maxBackoff: .seconds(600), maxAge: .seconds(3 * 86_400))

    /// The delay after the `attempt`-th failed attempt (1-based): a random point below
    /// `min(maxBackoff, minBackoff * 2^(attempt-1))` (full jitter), never below `minBackoff`.
    ///
    /// `unit` returns a number in `0...1`; tests pass a fixed one.
    public func delay(afterAttempt attempt: Int, unit: () -> Double = { Double.random(in: 0...1) }) -> Duration {
        let base = minBackoff.seconds
        let ceiling = min(maxBackoff.seconds, base * pow2(max(0, attempt - 1)))
        return .seconds(max(base, ceiling * min(1, max(0, unit()))))
    }

    /// A sink's own delay hint (an HTTP `Retry-After`) held to the backoff range: a hint below ``minBackoff`` (`0`, a
    /// date in the past) waits the minimum, one above ``maxBackoff`` waits the maximum, so a peer can neither burn
    /// every attempt in a moment nor push a delivery past `max-age` at its first failure.
    public func bounded(hint: Duration) -> Duration {
        min(max(hint, minBackoff), maxBackoff)
    }

    private func pow2(_ exponent: Int) -> Double {
        exponent >= 62 ? .greatestFiniteMagnitude : Double(1 << exponent)
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
