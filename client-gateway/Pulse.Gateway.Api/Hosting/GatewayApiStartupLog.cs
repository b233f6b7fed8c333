using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Logging;

namespace Pulse.Gateway.Api.Hosting;

/// <summary>Logs the API settings in effect once at start (admin key redacted), and warns when admin routes are disabled.</summary>
internal sealed class GatewayApiStartupLog(IOptions<GatewayApiOptions> options, ILogger<GatewayApiStartupLog> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        GatewayApiOptions value = options.Value;
        GatewayApiLog.OptionsInEffect(
            logger,
            value.AdminEnabled ? "(set)" : "(not set)",
            value.MaxRequestBodyBytes,
            value.RequestTimeout,
            value.KeyCacheTtl,
            value.DefaultRequestQuotaLimit,
            value.DefaultRequestQuotaWindowMs,
            value.CompressionMinimumBytes);
        if (!value.AdminEnabled)
        {
            GatewayApiLog.AdminDisabled(logger, value.AdminKeyHint);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
