from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def reset_request(request: HttpRequest) -> HttpResponse:
    return render(request, "tickets/coming_soon.html")
