using Microsoft.Extensions.Logging;

namespace Pulse.Gateway.Api.Logging;

/// <summary>
/// Every log line of the REST API, with stable event ids (9700-9799). API keys are never logged in
/// clear: only the tenant id and the key id, which are the non-secret parts of a key.
/// </summary>
internal static partial class GatewayApiLog
{
    [LoggerMessage(EventId = 9700, Level = LogLevel.Warning, Message = "Admin routes are disabled: no admin key is configured. {Hint}")]
    public static partial void AdminDisabled(ILogger logger, string hint);

    [LoggerMessage(EventId = 9701, Level = LogLevel.Information,
        Message = "Gateway API options: AdminKey={AdminKey} MaxRequestBodyBytes={MaxRequestBodyBytes} RequestTimeout={RequestTimeout} KeyCacheTtl={KeyCacheTtl} DefaultRequestQuota={QuotaLimit}/{QuotaWindowMs}ms CompressionMinimumBytes={CompressionMinimumBytes}")]
    public static partial void OptionsInEffect(ILogger logger, string adminKey, long maxRequestBodyBytes, TimeSpan requestTimeout, TimeSpan keyCacheTtl, long quotaLimit, long quotaWindowMs, int compressionMinimumBytes);

    [LoggerMessage(EventId = 9710, Level = LogLevel.Information, Message = "Tenant {TenantId} created with key {KeyId}")]
    public static partial void TenantCreated(ILogger logger, string tenantId, string keyId);

    [LoggerMessage(EventId = 9711, Level = LogLevel.Information, Message = "Tenant {TenantId} disabled={Disabled}")]
    public static partial void TenantDisabledChanged(ILogger logger, string tenantId, bool disabled);

    [LoggerMessage(EventId = 9712, Level = LogLevel.Information, Message = "Tenant {TenantId} request quota set to {Limit} per {WindowMs} ms")]
    public static partial void TenantQuotaChanged(ILogger logger, string tenantId, long limit, long windowMs);

    [LoggerMessage(EventId = 9720, Level = LogLevel.Information, Message = "Tenant {TenantId}: key {KeyId} created")]
    public static partial void KeyCreated(ILogger logger, string tenantId, string keyId);

    [LoggerMessage(EventId = 9721, Level = LogLevel.Information, Message = "Tenant {TenantId}: key {KeyId} rotated to {NewKeyId}, grace period {GracePeriod}")]
    public static partial void KeyRotated(ILogger logger, string tenantId, string keyId, string newKeyId, TimeSpan gracePeriod);

    [LoggerMessage(EventId = 9722, Level = LogLevel.Information, Message = "Tenant {TenantId}: key {KeyId} revoked")]
    public static partial void KeyRevoked(ILogger logger, string tenantId, string keyId);

    [LoggerMessage(EventId = 9730, Level = LogLevel.Debug, Message = "Refused API key {KeyPrefix}: {Reason}")]
    public static partial void KeyRefused(ILogger logger, string keyPrefix, string reason);

    [LoggerMessage(EventId = 9731, Level = LogLevel.Debug, Message = "Refused credentials on {Path}: {Reason}")]
    public static partial void CredentialsRefused(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 9790, Level = LogLevel.Error, Message = "Unhandled error in {Method} {Path} (trace {TraceId})")]
    public static partial void UnhandledError(ILogger logger, Exception exception, string method, string path, string traceId);
}
