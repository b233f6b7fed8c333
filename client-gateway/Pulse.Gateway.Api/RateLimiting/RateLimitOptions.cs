using Microsoft.Extensions.Options;

namespace Pulse.Gateway.Api.RateLimiting;

/// <summary>Settings of the rate-limit API, bound from <c>Pulse:RateLimit</c>.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Most checks in one batch.</summary>
    public const int MaxBatchChecks = 1_000;

    /// <summary>How long a gateway trusts its copy of a tenant's policies; default 1 s.</summary>
    public TimeSpan PolicyCacheTtl { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a gateway sends its counts to the statistics grains; default 1 s.</summary>
    public TimeSpan StatsFlushPeriod { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Validates <see cref="RateLimitOptions"/> at start-up.</summary>
public sealed class RateLimitOptionsValidator : IValidateOptions<RateLimitOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, RateLimitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = [];
        if (options.PolicyCacheTtl < TimeSpan.Zero || options.PolicyCacheTtl > TimeSpan.FromMinutes(5))
        {
            failures.Add("Pulse:RateLimit:PolicyCacheTtl must be between 0 and 5 minutes.");
        }

        if (options.StatsFlushPeriod < TimeSpan.FromMilliseconds(50) || options.StatsFlushPeriod > TimeSpan.FromMinutes(1))
        {
            failures.Add("Pulse:RateLimit:StatsFlushPeriod must be between 50 ms and 1 minute.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
