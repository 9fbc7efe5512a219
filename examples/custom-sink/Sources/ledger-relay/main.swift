import EngageLedger
import EngageRelay

await EngageRelayCommand.main(registry: .builtIn.adding(LedgerSink.self))
