// Command worker ships paid orders.
package main

import (
	"database/sql"
	"fmt"
	"log"
	"time"
)

type Order struct {
	ID    int64
	Email string
}

func paidOrders(db *sql.DB) ([]Order, error) {
	rows, err := db.Query("SELECT id, customer_email FROM orders WHERE status = ?", "paid")
	if err != nil {
		return nil, fmt.Errorf("query paid orders: %w", err)
	}
	defer rows.Close()
	var orders []Order
	for rows.Next() {
		var o Order
		if err := rows.Scan(&o.ID, &o.Email); err != nil {
			return nil, fmt.Errorf("scan order: %w", err)
		}
		orders = append(orders, o)
	}
	return orders, rows.Err()
}

func markShipped(db *sql.DB, id int64) error {
	_, err := db.Exec("UPDATE orders SET status = ? WHERE id = ?", "shipped", id)
	return err
}

func main() {
	db, err := sql.Open("sqlite3", "shoplite.db")
	if err != nil {
		log.Fatal(err)
	}
	for range time.Tick(30 * time.Second) {
		orders, err := paidOrders(db)
		if err != nil {
			log.Printf("poll: %v", err)
			continue
		}
		for _, o := range orders {
			if err := markShipped(db, o.ID); err != nil {
				log.Printf("ship %d: %v", o.ID, err)
			}
		}
	}
}
