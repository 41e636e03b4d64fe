import aiohttp

MAINNET = "https://pay.crypt.example"
TESTNET = "https://testnet-pay.crypt.example"


class CryptoPay:
    """Crypto Pay API client."""

    def __init__(self, token: str, api_server: str = MAINNET) -> None:
        self._token = token
        self._api_server = api_server
        self._session = None

    async def _request(self, method: str, **params):
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(
            f"{self._api_server}/api/{method}",
            headers={"Crypto-Pay-API-Token": self._token},
            json=params,
        ) as resp:
            data = await resp.json()
            return data.get("result")

    async def get_me(self):
        return await self._request("getMe")

    async def create_invoice(self, amount, asset="USDT", **kw):
        return await self._request("createInvoice", amount=amount, asset=asset, **kw)

    async def get_balance(self):
        return await self._request("getBalance")
