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

    [LoggerMessage(EventId = 9740, Level = LogLevel.Information,
        Message = "Cache API options: MaxValueBytes={MaxValueBytes} MaxBatchBodyBytes={MaxBatchBodyBytes} MaxWait={MaxWait} MaxLease={MaxLease}")]
    public static partial void CacheOptionsInEffect(ILogger logger, int maxValueBytes, long maxBatchBodyBytes, TimeSpan maxWait, TimeSpan maxLease);

    [LoggerMessage(EventId = 9741, Level = LogLevel.Information, Message = "Tenant {TenantId}: deleted {Deleted} cache entries matching {Selector}")]
    public static partial void CacheEntriesDeleted(ILogger logger, string tenantId, long deleted, string selector);

    [LoggerMessage(EventId = 9742, Level = LogLevel.Debug, Message = "Tenant {TenantId}: cache maintenance reclaimed {Expired} expired and evicted {Evicted} entries")]
    public static partial void CacheMaintenanceRun(ILogger logger, string tenantId, long expired, long evicted);

    [LoggerMessage(EventId = 9743, Level = LogLevel.Information, Message = "Tenant {TenantId} cache quota set to {QuotaBytes} bytes (0: the default)")]
    public static partial void TenantCacheQuotaChanged(ILogger logger, string tenantId, long quotaBytes);

    [LoggerMessage(EventId = 9744, Level = LogLevel.Debug, Message = "Tenant {TenantId}: a cache write came with a lease token that is no longer the lease")]
    public static partial void CacheLeaseLost(ILogger logger, string tenantId);

    [LoggerMessage(EventId = 9789, Level = LogLevel.Warning, Message = "The grain store was unavailable for {Method} {Path}; answered 503")]
    public static partial void StoreUnavailable(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(EventId = 9790, Level = LogLevel.Error, Message = "Unhandled error in {Method} {Path} (trace {TraceId})")]
    public static partial void UnhandledError(ILogger logger, Exception exception, string method, string path, string traceId);
}
