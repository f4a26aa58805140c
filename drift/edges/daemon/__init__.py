"""The drift daemon: scheduled reviews, findings lifecycle, reports and notifications."""
