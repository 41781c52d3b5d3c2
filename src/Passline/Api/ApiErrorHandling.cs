using Microsoft.AspNetCore.Diagnostics;

namespace Passline.Api;

/// <summary>
/// Whatever fails outside a handler — an unknown route, a wrong method, an exception — still answers with
/// the SPEC 2.1 JSON shape, never a stack trace; an exception in a page's endpoint answers with a page.
/// </summary>
public static class ApiErrorHandling
{
    public static IApplicationBuilder UseApiErrors(this IApplicationBuilder app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = context =>
            {
                var failure = context.Features.Get<IExceptionHandlerFeature>();
                var exception = failure?.Error;

                // A read outside a unit of work (an API GET, a page) has no retry of its own: the client's next try must
                // not meet the same broken connection.
                Storage.DbErrors.ForgetConnectionsAfter(exception);
                var error = exception is BadHttpRequestException bad
                    ? bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? ApiError.TooLarge(JsonBody.Limit(context.Request)) : ApiError.Status(bad.StatusCode, "The request could not be read.")
                    : Storage.DbErrors.IsTransient(exception) ? ApiError.Unavailable()
                    : ApiError.ServerError();
                if (Pages.Page.IsPage(failure?.Endpoint))
                {
                    // A person in a browser: the same status and headers, as a page with the pages' own.
                    error.SetStatusAndHeaders(context.Response);
                    return Pages.Page.Failed(context, error.StatusCode).ExecuteAsync(context);
                }

                return error.ExecuteAsync(context);
            },
        });

        app.UseStatusCodePages(context =>
        {
            var response = context.HttpContext.Response;
            var message = response.StatusCode switch
            {
                StatusCodes.Status404NotFound => "Not found.",
                StatusCodes.Status405MethodNotAllowed => "Method not allowed.",
                _ => ReasonPhrase(response.StatusCode),
            };
            return ApiError.Status(response.StatusCode, message).ExecuteAsync(context.HttpContext);
        });
        return app;
    }

    private static string ReasonPhrase(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase + "." : "Error.";
}
