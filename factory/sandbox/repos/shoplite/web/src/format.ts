// Formatting helpers for prices and order states.

export type OrderStatus = "placed" | "paid" | "shipped" | "cancelled";

export function formatCents(cents: number, currency = "EUR"): string {
  return new Intl.NumberFormat("en-GB", { style: "currency", currency }).format(cents / 100);
}

export function statusLabel(status: OrderStatus): string {
  switch (status) {
    case "placed":
      return "Awaiting payment";
    case "paid":
      return "Preparing";
    case "shipped":
      return "On its way";
    case "cancelled":
      return "Cancelled";
  }
}
