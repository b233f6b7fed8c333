using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Hosting;

namespace Pulse.Gateway.Api.Security;

/// <summary>
/// Endpoint metadata that replaces <see cref="GatewayApiOptions.MaxRequestBodyBytes"/> for one endpoint,
/// for routes whose bodies are legitimately larger (a cache batch) or whose limit has a meaning of its
/// own (a cache value). Add it with <see cref="RequestBodyLimits.WithRequestBodyLimit{TBuilder}"/>.
/// </summary>
/// <param name="maxBytes">Largest body accepted, in bytes.</param>
/// <param name="subject">What the body is, for the 413 detail (e.g. "The cache value").</param>
public sealed class RequestBodyLimitMetadata(long maxBytes, string subject) : IRequestSizeLimitMetadata
{
    /// <summary>Largest body accepted, in bytes.</summary>
    public long MaxBytes { get; } = maxBytes > 0 ? maxBytes : throw new ArgumentOutOfRangeException(nameof(maxBytes));

    /// <summary>What the body is, for the 413 detail.</summary>
    public string Subject { get; } = subject;

    long? IRequestSizeLimitMetadata.MaxRequestBodySize => MaxBytes;
}

/// <summary>The request body limit in force for a request: the endpoint's own, or the gateway's.</summary>
public static class RequestBodyLimits
{
    /// <summary>Gives the endpoint its own body limit instead of <see cref="GatewayApiOptions.MaxRequestBodyBytes"/>.</summary>
    public static TBuilder WithRequestBodyLimit<TBuilder>(this TBuilder builder, long maxBytes, string subject = "The request body")
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WithMetadata(new RequestBodyLimitMetadata(maxBytes, subject));
        return builder;
    }

    /// <summary>
    /// The limit for this request and the 413 detail that goes with it. Endpoint metadata wins (any
    /// <see cref="IRequestSizeLimitMetadata"/> with a value, ours or the framework's), so it needs routing
    /// to have run; before that, or without metadata, the gateway's option applies.
    /// </summary>
    public static RequestBodyLimit For(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return For(
            context,
            context.RequestServices?.GetService<IOptions<GatewayApiOptions>>()?.Value.MaxRequestBodyBytes ?? GatewayApiOptions.DefaultMaxRequestBodyBytes);
    }

    /// <summary>As <see cref="For(HttpContext)"/>, with the gateway's limit already known.</summary>
    internal static RequestBodyLimit For(HttpContext context, long gatewayLimit)
    {
        IRequestSizeLimitMetadata? metadata = context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>();
        return metadata is RequestBodyLimitMetadata own
            ? new RequestBodyLimit(own.MaxBytes, own.Subject)
            : new RequestBodyLimit(metadata?.MaxRequestBodySize ?? gatewayLimit, RequestBodyLimit.DefaultSubject);
    }
}

/// <summary>The body limit in force for one request.</summary>
public readonly struct RequestBodyLimit
{
    /// <summary>The subject of a limit that is not an endpoint's own.</summary>
    public const string DefaultSubject = "The request body";

    /// <summary>Creates the limit of one request.</summary>
    /// <param name="limit">Largest body accepted, in bytes.</param>
    /// <param name="subject">What the body is, for the 413 detail.</param>
    public RequestBodyLimit(long limit, string subject)
    {
        Limit = limit;
        Subject = subject;
    }

    /// <summary>Largest body accepted, in bytes.</summary>
    public long Limit { get; }

    /// <summary>What the body is, for the 413 detail.</summary>
    public string Subject { get; }

    /// <summary>The 413 detail; built only when a body is refused, as nearly every request is within its limit.</summary>
    public string TooLargeDetail => $"{Subject} exceeds the limit of {Limit} bytes.";
}
