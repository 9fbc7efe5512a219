import RelayCore
import Testing

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 10, minBackoff: .seconds(1), maxBackoff: .seconds(60), maxAge: .seconds(3600))

    @Test func theCeilingDoublesPerAttemptUpToTheCap() {
        let ceilings = (1...8).map { policy.delay(afterAttempt: $0, unit: { 1 }) }
        #expect(ceilings == [1, 2, 4, 8, 16, 32, 60, 60].map { Duration.seconds($0) })
    }

    @Test func fullJitterStaysBetweenTheFloorAndTheCeiling() {
        #expect(policy.delay(afterAttempt: 5, unit: { 0 }) == .seconds(1))
        #expect(policy.delay(afterAttempt: 5, unit: { 0.5 }) == .seconds(8))
        for attempt in 1...40 {
            let delay = policy.delay(afterAttempt: attempt)
            #expect(delay >= .seconds(1) && delay <= .seconds(60))
        }
    }

    @Test func hugeAttemptCountsDoNotOverflow() {
        #expect(policy.delay(afterAttempt: 10_000, unit: { 1 }) == .seconds(60))
    }
}
