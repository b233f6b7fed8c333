using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Hosting;
using Pulse.Gateway.Api.Problems;

namespace Pulse.Gateway.Api.Security;

/// <summary>
/// Applies the request body limit: <see cref="GatewayApiOptions.MaxRequestBodyBytes"/>, or the endpoint's
/// own (<see cref="RequestBodyLimits.WithRequestBodyLimit{TBuilder}"/>), which is why this runs after
/// routing. A declared Content-Length over the limit is answered 413 before the body is read; the
/// server's own limit is set to it too, so a chunked body is cut off as soon as it passes the limit (the
/// body readers turn that into 413).
/// </summary>
internal sealed class RequestBodyLimitMiddleware(RequestDelegate next, IOptions<GatewayApiOptions> options)
{
    private readonly long _gatewayLimit = options.Value.MaxRequestBodyBytes;

    public Task InvokeAsync(HttpContext context)
    {
        RequestBodyLimit bodyLimit = RequestBodyLimits.For(context, _gatewayLimit);
        long limit = bodyLimit.Limit;
        if (context.Request.ContentLength is long length && length > limit)
        {
            // The client may still be sending; Kestrel drains or closes the connection after the response.
            return ProblemResponses.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, bodyLimit.TooLargeDetail);
        }

        IHttpMaxRequestBodySizeFeature? feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
        {
            feature.MaxRequestBodySize = limit;
        }

        return next(context);
    }
}
