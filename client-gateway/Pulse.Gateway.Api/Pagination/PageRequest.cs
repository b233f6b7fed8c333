using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Pulse.Gateway.Api.Problems;

namespace Pulse.Gateway.Api.Pagination;

/// <summary>
/// The <c>?limit=</c> (1 to <see cref="MaxLimit"/>, default <see cref="DefaultLimit"/>) and <c>?cursor=</c>
/// of a list request. Every list endpoint reads them through <see cref="TryRead"/>, so bad values get
/// the same 400 naming <c>limit</c> or <c>cursor</c>.
/// </summary>
/// <param name="Limit">Most items to return.</param>
/// <param name="Cursor">The cursor of the previous page, null for the first page.</param>
public readonly record struct PageRequest(int Limit, string? Cursor)
{
    /// <summary>Items per page when <c>?limit=</c> is absent.</summary>
    public const int DefaultLimit = 100;

    /// <summary>Largest <c>?limit=</c> accepted.</summary>
    public const int MaxLimit = 1000;

    /// <summary>Reads limit and cursor from the query; on failure <paramref name="problem"/> is the 400 to return.</summary>
    public static bool TryRead(HttpContext context, out PageRequest page, out IResult? problem)
    {
        ArgumentNullException.ThrowIfNull(context);
        var errors = new ValidationErrors();
        int limit = DefaultLimit;
        StringValues limitValues = context.Request.Query["limit"];
        if (limitValues.Count > 1)
        {
            errors.Add("limit", "must be given once");
        }
        else if (limitValues.Count == 1
            && (!int.TryParse(limitValues[0], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            errors.Add("limit", $"must be a whole number from 1 to {MaxLimit}");
        }

        string? cursor = null;
        StringValues cursorValues = context.Request.Query["cursor"];
        if (cursorValues.Count > 1)
        {
            errors.Add("cursor", "must be given once");
        }
        else if (cursorValues.Count == 1)
        {
            cursor = cursorValues[0];
            if (!PageCursor.TryDecode(cursor, out _))
            {
                errors.Add("cursor", "is not a cursor returned by this API (pass nextCursor unchanged)");
            }
        }

        if (errors.HasErrors)
        {
            page = default;
            problem = errors.ToResult();
            return false;
        }

        page = new PageRequest(limit, cursor);
        problem = null;
        return true;
    }

    /// <summary>The numeric position in <see cref="Cursor"/> (0 for the first page); false when the cursor holds no number.</summary>
    public bool TryGetNumber(out long position)
    {
        position = 0;
        return Cursor is null || PageCursor.TryDecodeNumber(Cursor, out position);
    }

    /// <summary>The 400 for a cursor that decodes but does not fit this list.</summary>
    public static IResult InvalidCursor() => ApiResults.InvalidField("cursor", "is not a cursor of this list (pass nextCursor unchanged)");
}
