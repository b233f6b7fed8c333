namespace Pulse.Gateway.Api.Hosting;

/// <summary>
/// Settings of the REST API, bound from the <c>Pulse:Gateway</c> section (the admin key also from
/// <c>PULSE_ADMIN_KEY</c>). Validated at start-up by <see cref="GatewayApiOptionsValidator"/>.
/// </summary>
public sealed class GatewayApiOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "Pulse:Gateway";

    /// <summary>Default <see cref="MaxRequestBodyBytes"/>: 1 MiB.</summary>
    public const long DefaultMaxRequestBodyBytes = 1024 * 1024;

    /// <summary>Default <see cref="DefaultRequestQuotaLimit"/>: 10,000 requests.</summary>
    public const long DefaultQuotaLimit = 10_000;

    /// <summary>Default <see cref="DefaultRequestQuotaWindowMs"/>: 1,000 ms.</summary>
    public const long DefaultQuotaWindowMs = 1_000;

    /// <summary>Default <see cref="CompressionMinimumBytes"/>: bodies under 1 KB are not worth compressing.</summary>
    public const int DefaultCompressionMinimumBytes = 1024;

    /// <summary>Shortest admin key accepted, so a guessable key never protects the admin routes.</summary>
    public const int MinAdminKeyLength = 16;

    /// <summary>Default <see cref="RequestTimeout"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Default <see cref="KeyCacheTtl"/>: 2 seconds.</summary>
    public static readonly TimeSpan DefaultKeyCacheTtl = TimeSpan.FromSeconds(2);

    /// <summary>Default <see cref="MaxKeyGracePeriod"/>: 7 days.</summary>
    public static readonly TimeSpan DefaultMaxKeyGracePeriod = TimeSpan.FromDays(7);

    /// <summary>
    /// The operators' key for <c>/api/v1/admin</c>. Null or empty disables the admin routes (403). A secret:
    /// never logged.
    /// </summary>
    public string? AdminKey { get; set; }

    /// <summary>What the 403 for disabled admin routes tells the operator to do.</summary>
    public string AdminKeyHint { get; set; } = "Set PULSE_ADMIN_KEY (Pulse:Gateway:AdminKey) and restart the gateway.";

    /// <summary>Largest request body accepted; larger ones get 413, chunked bodies included.</summary>
    public long MaxRequestBodyBytes { get; set; } = DefaultMaxRequestBodyBytes;

    /// <summary>Longest a request may take before it is answered 504.</summary>
    public TimeSpan RequestTimeout { get; set; } = DefaultRequestTimeout;

    /// <summary>How long a validated API key is trusted without asking its tenant grain again.</summary>
    public TimeSpan KeyCacheTtl { get; set; } = DefaultKeyCacheTtl;

    /// <summary>Most validated keys the cache holds.</summary>
    public int KeyCacheMaxEntries { get; set; } = 100_000;

    /// <summary>Longest grace period a rotated key may keep working.</summary>
    public TimeSpan MaxKeyGracePeriod { get; set; } = DefaultMaxKeyGracePeriod;

    /// <summary>Request quota limit of tenants created without one.</summary>
    public long DefaultRequestQuotaLimit { get; set; } = DefaultQuotaLimit;

    /// <summary>Request quota window of tenants created without one.</summary>
    public long DefaultRequestQuotaWindowMs { get; set; } = DefaultQuotaWindowMs;

    /// <summary>Smallest JSON response body that is compressed (gzip or brotli).</summary>
    public int CompressionMinimumBytes { get; set; } = DefaultCompressionMinimumBytes;

    /// <summary>Whether the admin routes are enabled.</summary>
    public bool AdminEnabled => !string.IsNullOrEmpty(AdminKey);
}
