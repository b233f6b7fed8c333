using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Hosting;

namespace Pulse.Gateway.Api.Caching;

/// <summary>Settings of the cache API, bound from <c>Pulse:Cache</c> and validated at start-up by <see cref="CacheApiOptionsValidator"/>.</summary>
public sealed class CacheApiOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "Pulse:Cache";

    /// <summary>Default <see cref="MaxValueBytes"/>: 1 MiB.</summary>
    public const int DefaultMaxValueBytes = 1024 * 1024;

    /// <summary>Default <see cref="MaxBatchBodyBytes"/>: 8 MiB.</summary>
    public const long DefaultMaxBatchBodyBytes = 8L * 1024 * 1024;

    /// <summary>Smallest <see cref="MaxValueBytes"/> accepted.</summary>
    public const int MinMaxValueBytes = 1024;

    /// <summary>
    /// Largest <see cref="MaxValueBytes"/> accepted. A value travels to its grain in one message, and a
    /// message frame is 4 MiB by default (<c>Pulse:Networking:MaxFrameBytes</c>): values over about 4 MiB
    /// also need larger frames on every silo and gateway.
    /// </summary>
    public const int MaxMaxValueBytes = 16 * 1024 * 1024;

    /// <summary>Largest <see cref="MaxBatchBodyBytes"/> accepted: 256 MiB.</summary>
    public const long MaxMaxBatchBodyBytes = 256L * 1024 * 1024;

    /// <summary>
    /// Room the salesmate <c>POST /api/performance/cache</c> body may take beside a value of
    /// <see cref="MaxValueBytes"/>: the key (up to 1,024 bytes, 6 per byte when escaped), the ttl and the JSON around them.
    /// </summary>
    public const int EnvelopeBytes = 16 * 1024;

    /// <summary>Default <see cref="MaxWait"/>: 20 seconds.</summary>
    public static readonly TimeSpan DefaultMaxWait = TimeSpan.FromSeconds(20);

    /// <summary>Default <see cref="MaxLease"/>: 300 seconds.</summary>
    public static readonly TimeSpan DefaultMaxLease = TimeSpan.FromSeconds(300);

    /// <summary>Largest value accepted, in bytes of UTF-8 JSON; larger ones get 413.</summary>
    public int MaxValueBytes { get; set; } = DefaultMaxValueBytes;

    /// <summary>Largest body of <c>mget</c> and <c>mset</c>; larger ones get 413.</summary>
    public long MaxBatchBodyBytes { get; set; } = DefaultMaxBatchBodyBytes;

    /// <summary>Longest <c>?wait=</c> of a read: longer waits are cut to this.</summary>
    public TimeSpan MaxWait { get; set; } = DefaultMaxWait;

    /// <summary>Longest <c>?lease=</c> of a read: longer leases get 400.</summary>
    public TimeSpan MaxLease { get; set; } = DefaultMaxLease;
}

/// <summary>Validates <see cref="CacheApiOptions"/> at start-up; each failure names its setting.</summary>
/// <param name="gateway">The gateway options: a read may not wait longer than a request may take.</param>
public sealed class CacheApiOptionsValidator(IOptions<GatewayApiOptions> gateway) : IValidateOptions<CacheApiOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, CacheApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = [];
        if (options.MaxValueBytes is < CacheApiOptions.MinMaxValueBytes or > CacheApiOptions.MaxMaxValueBytes)
        {
            failures.Add($"Pulse:Cache:MaxValueBytes must be between {CacheApiOptions.MinMaxValueBytes} (1 KiB) and {CacheApiOptions.MaxMaxValueBytes} (16 MiB).");
        }

        if (options.MaxBatchBodyBytes < options.MaxValueBytes + CacheApiOptions.EnvelopeBytes || options.MaxBatchBodyBytes > CacheApiOptions.MaxMaxBatchBodyBytes)
        {
            failures.Add(
                $"Pulse:Cache:MaxBatchBodyBytes must be between MaxValueBytes + {CacheApiOptions.EnvelopeBytes} (so a batch can carry one value of the largest size) and {CacheApiOptions.MaxMaxBatchBodyBytes} (256 MiB).");
        }

        TimeSpan requestTimeout = gateway.Value.RequestTimeout;
        if (options.MaxWait < TimeSpan.Zero || options.MaxWait > TimeSpan.FromMinutes(1) || options.MaxWait >= requestTimeout)
        {
            failures.Add($"Pulse:Cache:MaxWait must be between 0 and 1 minute, and shorter than Pulse:Gateway:RequestTimeout ({requestTimeout.TotalSeconds:0.###} s).");
        }

        if (options.MaxLease < TimeSpan.FromSeconds(1) || options.MaxLease > TimeSpan.FromHours(1))
        {
            failures.Add("Pulse:Cache:MaxLease must be between 1 second and 1 hour.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
