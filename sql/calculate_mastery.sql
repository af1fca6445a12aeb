-- Mastery calculation trigger, exactly as the seed defines it ("Progress Calculation").
CREATE OR REPLACE FUNCTION calculate_mastery()
RETURNS TRIGGER AS $$
BEGIN
    -- Calculate based on recent performance
    NEW.mastery = CASE
        WHEN NEW.correct_attempts = 0 THEN 0
        WHEN NEW.average_response_time < 2000 AND 
             (NEW.correct_attempts::FLOAT / NEW.total_attempts) > 0.95 THEN 1.0
        WHEN NEW.average_response_time < 3000 AND 
             (NEW.correct_attempts::FLOAT / NEW.total_attempts) > 0.90 THEN 0.8
        WHEN NEW.average_response_time < 6000 AND 
             (NEW.correct_attempts::FLOAT / NEW.total_attempts) > 0.85 THEN 0.6
        WHEN (NEW.correct_attempts::FLOAT / NEW.total_attempts) > 0.75 THEN 0.4
        WHEN (NEW.correct_attempts::FLOAT / NEW.total_attempts) > 0.50 THEN 0.2
        ELSE 0.1
    END;
    
    -- Update fluency level
    NEW.fluency_level = CASE
        WHEN NEW.mastery >= 1.0 THEN 'mastered'
        WHEN NEW.mastery >= 0.8 THEN 'fluency_3s_2s'
        WHEN NEW.mastery >= 0.6 THEN 'fluency_6s'
        WHEN NEW.mastery >= 0.4 THEN 'accuracy'
        WHEN NEW.mastery >= 0.2 THEN 'learning'
        ELSE 'not_started'
    END;
    
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER update_mastery
BEFORE INSERT OR UPDATE ON question_progress
FOR EACH ROW EXECUTE FUNCTION calculate_mastery();
