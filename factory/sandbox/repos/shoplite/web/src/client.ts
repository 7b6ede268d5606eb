// Storefront client for the shoplite HTTP API.

export interface LineInput {
  sku: string;
  quantity: number;
  priceCents: number;
}

export interface CheckoutResult {
  orderId: number;
}

export class ApiError extends Error {
  constructor(public readonly status: number, message: string) {
    super(message);
  }
}

export class ShopClient {
  constructor(private readonly baseUrl: string, private readonly token: string) {}

  async checkout(email: string, items: LineInput[], code?: string): Promise<CheckoutResult> {
    const response = await fetch(`${this.baseUrl}/checkout`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.token}` },
      body: JSON.stringify({
        email,
        code,
        items: items.map((i) => ({ sku: i.sku, quantity: i.quantity, price_cents: i.priceCents })),
      }),
    });
    const payload = await response.json();
    if (!response.ok) {
      throw new ApiError(response.status, payload.error ?? "checkout failed");
    }
    return { orderId: payload.order_id };
  }
}
