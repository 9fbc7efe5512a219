@_exported import EngageEvents
@_exported import RelayConfig
@_exported import RelayCore
@_exported import RelayPlanning
@_exported import WebhookVerification
