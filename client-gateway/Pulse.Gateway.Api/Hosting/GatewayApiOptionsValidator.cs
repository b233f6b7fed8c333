using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Tenants;

namespace Pulse.Gateway.Api.Hosting;

/// <summary>Validates <see cref="GatewayApiOptions"/> at start-up; each failure names its setting.</summary>
public sealed class GatewayApiOptionsValidator : IValidateOptions<GatewayApiOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, GatewayApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = [];
        if (options.AdminEnabled && options.AdminKey!.Length < GatewayApiOptions.MinAdminKeyLength)
        {
            failures.Add($"Pulse:Gateway:AdminKey (PULSE_ADMIN_KEY) must be at least {GatewayApiOptions.MinAdminKeyLength} characters.");
        }

        if (options.MaxRequestBodyBytes is < 1024 or > 100L * 1024 * 1024)
        {
            failures.Add("Pulse:Gateway:MaxRequestBodyBytes must be between 1 KiB and 100 MiB.");
        }

        if (options.RequestTimeout <= TimeSpan.Zero || options.RequestTimeout > TimeSpan.FromMinutes(10))
        {
            failures.Add("Pulse:Gateway:RequestTimeout must be between 0 and 10 minutes.");
        }

        if (options.KeyCacheTtl < TimeSpan.Zero || options.KeyCacheTtl > TimeSpan.FromMinutes(5))
        {
            failures.Add("Pulse:Gateway:KeyCacheTtl must be between 0 (no cache) and 5 minutes.");
        }

        if (options.KeyCacheMaxEntries < 1)
        {
            failures.Add("Pulse:Gateway:KeyCacheMaxEntries must be at least 1.");
        }

        if (options.MaxKeyGracePeriod < TimeSpan.Zero)
        {
            failures.Add("Pulse:Gateway:MaxKeyGracePeriod must not be negative.");
        }

        if (options.DefaultRequestQuotaLimit is < 1 or > TenantLimits.MaxQuotaLimit)
        {
            failures.Add($"Pulse:Gateway:DefaultRequestQuotaLimit must be between 1 and {TenantLimits.MaxQuotaLimit}.");
        }

        if (options.DefaultRequestQuotaWindowMs is < 1 or > TenantLimits.MaxQuotaWindowMs)
        {
            failures.Add($"Pulse:Gateway:DefaultRequestQuotaWindowMs must be between 1 and {TenantLimits.MaxQuotaWindowMs}.");
        }

        if (options.CompressionMinimumBytes < 0)
        {
            failures.Add("Pulse:Gateway:CompressionMinimumBytes must not be negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
