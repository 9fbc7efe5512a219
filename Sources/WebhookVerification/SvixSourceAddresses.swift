// Svix's published webhook source addresses, by region, taken on 2026-11-29 from the project's Engage reference
// (shared/reference/engage-webhooks.md, "Svix source addresses"), which copies the lists Svix publishes as JSON in
// its documentation. Svix keeps existing customers' addresses and may add new ones: when Svix publishes a change,
// update the lists and the date here together.

/// The data behind the named lists `svix-eu` and `svix-us` of ``SourcePolicy/namedLists``.
enum SvixSourceAddresses {
    /// The day the lists were taken from Svix's published list.
    static let takenOn = "2026-11-29"

    /// The EU region, which Voyado Engage uses.
    static let eu = [
        "52.215.16.239",
        "54.216.8.72",
        "63.33.109.123",
        "2a05:d028:17:8000::/56",
    ]

    /// The US region.
    static let us = [
        "44.228.126.217",
        "50.112.21.217",
        "52.24.126.164",
        "54.148.139.208",
        "2600:1f24:64:8000::/56",
    ]
}
