import requests


class Api:
    """Tiny helper around requests for JSON APIs."""

    def __init__(self, base_url, token=None):
        self.base_url = base_url.rstrip('/')
        self.session = requests.Session()
        if token:
            self.session.headers['Authorization'] = 'Bearer ' + token

    def get(self, path, **params):
        return self.session.get(self.base_url + '/' + path.lstrip('/'), params=params).json()

    def post(self, path, payload):
        return self.session.post(self.base_url + '/' + path.lstrip('/'), json=payload).json()
