using Microsoft.Extensions.Options;

namespace Pulse.Grains.Caching;

/// <summary>Silo-side cache settings (section <c>Pulse:Cache</c>).</summary>
public sealed class CacheOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Pulse:Cache";

    /// <summary>Quota of a tenant whose profile sets none: 64 MiB.</summary>
    public long DefaultQuotaBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How often each silo sends its reads (hits, misses, last access) to the tenants' indexes.</summary>
    public TimeSpan ReportPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often a silo that holds a tenant's entries tells the tenant's index it is alive even without
    /// reads; an index forgets the memory-only entries of a silo it has not heard from for three periods.
    /// </summary>
    public TimeSpan HeartbeatPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a tenant's index reclaims expired entries.</summary>
    public TimeSpan SweepPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most cache bytes one silo holds before it sheds entries (0: no fixed limit, only <see cref="MemoryLoadThreshold"/>).</summary>
    public long SiloMaxBytes { get; set; }

    /// <summary>Share of the memory available to the process above which the silo sheds cache entries (0..1; 0 turns it off).</summary>
    public double MemoryLoadThreshold { get; set; } = 0.9;
}

/// <summary>Validates <see cref="CacheOptions"/> at start-up.</summary>
public sealed class CacheOptionsValidator : IValidateOptions<CacheOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, CacheOptions options)
    {
        List<string> failures = [];
        if (options.DefaultQuotaBytes <= 0)
        {
            failures.Add("Pulse:Cache:DefaultQuotaBytes must be positive.");
        }

        if (options.ReportPeriod <= TimeSpan.Zero)
        {
            failures.Add("Pulse:Cache:ReportPeriod must be positive.");
        }

        if (options.HeartbeatPeriod < options.ReportPeriod)
        {
            failures.Add("Pulse:Cache:HeartbeatPeriod must be at least ReportPeriod.");
        }

        if (options.SweepPeriod <= TimeSpan.Zero)
        {
            failures.Add("Pulse:Cache:SweepPeriod must be positive.");
        }

        if (options.SiloMaxBytes < 0)
        {
            failures.Add("Pulse:Cache:SiloMaxBytes must not be negative.");
        }

        if (options.MemoryLoadThreshold is < 0 or > 1 || double.IsNaN(options.MemoryLoadThreshold))
        {
            failures.Add("Pulse:Cache:MemoryLoadThreshold must be between 0 and 1.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
